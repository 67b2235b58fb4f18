package org.pgha.testkit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** One-statement helpers for the cluster tests: a new connection to the node per call. */
final class Sql {

    private Sql() {
    }

    static void execute(LocalCluster cluster, Node node, String sql) throws SQLException {
        try (Connection c = cluster.connect(node); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** The first column of the first row, as text. */
    static String query(LocalCluster cluster, Node node, String sql) throws SQLException {
        try (Connection c = cluster.connect(node); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("no row from " + sql + " on " + node);
            }
            return rs.getString(1);
        }
    }

    static long queryLong(LocalCluster cluster, Node node, String sql) throws SQLException {
        return Long.parseLong(query(cluster, node, sql));
    }
}
