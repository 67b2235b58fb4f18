package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;

/**
 * With {@code exactlyOnceAutocommit=true}, an autocommit write runs in a transaction of pgha's;
 * a statement PostgreSQL refuses inside a transaction block, or one that controls transactions
 * itself, runs as the application sent it (as a migration tool sends them).
 */
@LocalClusterTest
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ExactlyOnceStatementsClusterTest {

    @Test
    void statementsThatCannotRunInATransactionBlockRunAsSent(LocalCluster cluster) throws SQLException {
        try (PghaDataSource ds = DataSources.of(cluster, "exactlyOnceAutocommit=true");
             Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE once_stmt (id int PRIMARY KEY, v int)");
            s.executeUpdate("INSERT INTO once_stmt VALUES (1, 0)");
            s.execute("CREATE INDEX CONCURRENTLY once_stmt_v ON once_stmt (v)");
            s.execute("VACUUM ANALYZE once_stmt");
            s.execute("DROP INDEX CONCURRENTLY once_stmt_v");
            // A transaction the application runs with SQL text.
            s.execute("BEGIN");
            s.executeUpdate("INSERT INTO once_stmt VALUES (2, 0)");
            s.execute("COMMIT");
            // Procedures and DO blocks may commit inside.
            s.execute("CREATE PROCEDURE once_proc() LANGUAGE plpgsql AS $$ BEGIN"
                    + " INSERT INTO once_stmt VALUES (3, 0); COMMIT; INSERT INTO once_stmt VALUES (4, 0); END $$");
            s.execute("CALL once_proc()");
            s.execute("DO $$ BEGIN INSERT INTO once_stmt VALUES (5, 0); COMMIT; END $$");
            s.executeUpdate("INSERT INTO once_stmt VALUES (6, 0); INSERT INTO once_stmt VALUES (7, 0)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO once_stmt VALUES (?, 0)")) {
                ps.setInt(1, 8);
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
        }
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT array_agg(id ORDER BY id)::text FROM once_stmt")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("{1,2,3,4,5,6,7,8}");
        }
    }
}
