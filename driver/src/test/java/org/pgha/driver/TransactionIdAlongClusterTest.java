package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;

/**
 * A write inside a transaction on the primary carries the query that reads the transaction's id
 * (so that its COMMIT needs no round trip of its own), and the application cannot tell: the same
 * calls give the same results, update counts, errors and result-set states through pgha as
 * through pgjdbc alone, statement by statement.
 */
@LocalClusterTest
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TransactionIdAlongClusterTest {

    @Test
    void theApplicationSeesWhatPgjdbcGivesWhetherOrNotTheIdIsReadAlong(LocalCluster cluster) throws SQLException {
        List<String> direct;
        try (Connection c = cluster.connect(cluster.primary())) {
            direct = run(c, "direct");
        }
        List<String> throughPgha;
        try (PghaDataSource ds = DataSources.of(cluster, ""); Connection c = ds.getConnection()) {
            throughPgha = run(c, "pgha");
        }
        assertThat(throughPgha).isEqualTo(direct).hasSizeGreaterThan(35);
        assertThat(rows(cluster, "pgha")).isEqualTo(rows(cluster, "direct")).contains("1:3", "2:1", "4:7", "11:3");
    }

    /** A transaction of writes of every shape, on table {@code t_<name>}; what the application observed. */
    private static List<String> run(Connection c, String name) throws SQLException {
        String t = "t_" + name;
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + t + " (id int PRIMARY KEY, v int NOT NULL)");
            s.execute("INSERT INTO " + t + " VALUES (1, 0), (2, 0), (3, 0)");
        }
        List<String> seen = new ArrayList<>();
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + t + " SET v = v + 1 WHERE id <= ?")) {
            ps.setInt(1, 2);
            seen.add("executeUpdate " + ps.executeUpdate());
            results(ps, seen);
            ps.setInt(1, 1);
            seen.add("execute " + ps.execute());
            results(ps, seen);
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?) RETURNING id, v")) {
            ps.setInt(1, 4);
            ps.setInt(2, 7);
            ResultSet rs = ps.executeQuery();
            seen.add("same result set " + (ps.getResultSet() == rs));
            rows(rs, seen);
            results(ps, seen);
            seen.add("closed by getMoreResults " + rs.isClosed());
            ps.setInt(1, 5);
            seen.add("execute " + ps.execute());
            rows(ps.getResultSet(), seen);
            results(ps, seen);
            ps.setInt(1, 6);
            attempt(seen, () -> "executeUpdate " + ps.executeUpdate());
            ps.clearParameters();
            attempt(seen, () -> "executeUpdate " + ps.executeUpdate());
        }
        try (Statement s = c.createStatement()) {
            seen.add("executeUpdate " + s.executeUpdate("UPDATE " + t + " SET v = v + 1 WHERE id = 1 -- a trailing comment"));
            results(s, seen);
            seen.add("execute " + s.execute("/* a /* nested */ comment */ insert into " + t + " values (10, 0)"));
            results(s, seen);
            seen.add("executeUpdate " + s.executeUpdate("INSERT INTO " + t + " VALUES (11, length('a;b'))"));
            seen.add("executeLargeUpdate " + s.executeLargeUpdate("DELETE FROM " + t + " WHERE id = 10"));
            results(s, seen);
            attempt(seen, () -> "executeQuery " + s.executeQuery("UPDATE " + t + " SET v = v WHERE id = 2"));
            try (ResultSet rs = s.executeQuery("SELECT id, v FROM " + t + " WHERE id <= 2 ORDER BY id")) {
                rows(rs, seen);
            }
            seen.add("execute " + s.execute("WITH d AS (DELETE FROM " + t + " WHERE id = 3 RETURNING id) SELECT count(*) FROM d"));
            rows(s.getResultSet(), seen);
        }
        c.commit();
        c.setAutoCommit(true);
        return seen;
    }

    private interface Call {
        String run() throws SQLException;
    }

    private static void attempt(List<String> seen, Call call) {
        try {
            seen.add(call.run());
        } catch (SQLException e) {
            seen.add("error " + e.getSQLState());
        }
    }

    /** What the statement says of its results now, and after moving past them. */
    private static void results(Statement s, List<String> seen) throws SQLException {
        seen.add("updateCount " + s.getUpdateCount() + ", largeUpdateCount " + s.getLargeUpdateCount()
                + ", resultSet " + (s.getResultSet() != null));
        seen.add("moreResults " + s.getMoreResults());
        seen.add("then updateCount " + s.getUpdateCount() + ", resultSet " + (s.getResultSet() != null));
    }

    private static void rows(ResultSet rs, List<String> seen) throws SQLException {
        int columns = rs.getMetaData().getColumnCount();
        while (rs.next()) {
            StringBuilder row = new StringBuilder("row");
            for (int i = 1; i <= columns; i++) {
                row.append(' ').append(rs.getString(i));
            }
            seen.add(row.toString());
        }
    }

    private static List<String> rows(LocalCluster cluster, String name) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, v FROM t_" + name + " ORDER BY id")) {
            while (rs.next()) {
                rows.add(rs.getInt(1) + ":" + rs.getInt(2));
            }
        }
        return rows;
    }
}
