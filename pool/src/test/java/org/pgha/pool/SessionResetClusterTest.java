package org.pgha.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;

/**
 * What one borrower does to its session never reaches the next borrower of the same physical
 * connection: its role and session authorization, settings, advisory locks, listens, temporary
 * tables and held cursors, on the primary and on a replica. Each case checks that the second
 * borrower really got the same server process, so that it could have seen the leak.
 */
@LocalClusterTest(standbys = 1)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SessionResetClusterTest {

    @BeforeAll
    static void roles(LocalCluster cluster) throws SQLException {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE clerk NOLOGIN");
            s.execute("CREATE ROLE nurse NOLOGIN");
            s.execute("CREATE FUNCTION become_clerk() RETURNS void LANGUAGE plpgsql AS"
                    + " $$ BEGIN PERFORM set_config('role', 'clerk', false); END $$");
        }
        cluster.awaitReplication(java.time.Duration.ofSeconds(30));
    }

    /** What the first borrower runs, what the second one asks, and what it must see. */
    static Stream<Arguments> sessionChanges() {
        return Stream.of(
                Arguments.of("SET ROLE clerk", "SELECT current_user", "pgha"),
                Arguments.of("SET SESSION AUTHORIZATION nurse", "SELECT session_user || '/' || current_user", "pgha/pgha"),
                Arguments.of("SELECT set_config('role', 'clerk', false)", "SELECT current_user", "pgha"),
                Arguments.of("SET search_path TO clinic", "SHOW search_path", "\"$user\", public"),
                Arguments.of("SELECT pg_advisory_lock(4242)",
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()", "0"),
                Arguments.of("LISTEN lab_results", "SELECT count(*) FROM pg_listening_channels()", "0"),
                Arguments.of("CREATE TEMP TABLE scratch (mrn text)",
                        "SELECT count(*) FROM pg_class WHERE relname = 'scratch' AND relpersistence = 't'", "0"),
                Arguments.of("DECLARE held CURSOR WITH HOLD FOR SELECT 1",
                        "SELECT count(*) FROM pg_cursors WHERE name = 'held'", "0"));
    }

    @ParameterizedTest
    @MethodSource("sessionChanges")
    void nothingReachesTheNextBorrowerOfThePrimary(String change, String check, String expected, LocalCluster cluster)
            throws SQLException {
        try (PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "")) {
            ds.setMaximumPoolSize(1);
            assertThat(nextBorrowerSees(ds, false, false, change, check)).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @MethodSource("sessionChanges")
    void nothingReachesTheNextBorrowerWhenTheChangeWasInATransaction(String change, String check, String expected,
            LocalCluster cluster) throws SQLException {
        try (PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "")) {
            ds.setMaximumPoolSize(1);
            assertThat(nextBorrowerSees(ds, false, true, change, check)).isEqualTo(expected);
        }
    }

    @Test
    void nothingReachesTheNextBorrowerOfAReplica(LocalCluster cluster) throws SQLException {
        try (PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "maxReplicaLag=30s")) {
            ds.setMaximumPoolSize(1);
            ds.setReplicaMaximumPoolSize(1);
            assertThat(nextBorrowerSees(ds, true, false, "SET ROLE clerk", "SELECT current_user")).isEqualTo("pgha");
            assertThat(nextBorrowerSees(ds, true, false, "SELECT pg_advisory_lock(77)",
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")).isEqualTo("0");
        }
    }

    @Test
    void aConnectionThatMovesToAnotherNodeResetsTheOneItLeaves(LocalCluster cluster) throws SQLException {
        try (PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "maxReplicaLag=30s&readYourWrites=false")) {
            ds.setMaximumPoolSize(1);
            ds.setReplicaMaximumPoolSize(1);
            String pid;
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                pid = query(c, "SELECT pg_backend_pid()::text");
                s.execute("SELECT pg_advisory_lock(99)");
                // Moving to the replica gives the primary's connection back to its pool.
                c.setReadOnly(true);
                assertThat(query(c, "SELECT pg_is_in_recovery()::text")).isEqualTo("true");
            }
            try (Connection c = ds.getConnection()) {
                assertThat(query(c, "SELECT pg_backend_pid()::text")).as("the same physical connection").isEqualTo(pid);
                assertThat(query(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"))
                        .isEqualTo("0");
            }
        }
    }

    @Test
    void sessionResetAlwaysAlsoUndoesWhatAFunctionChanged(LocalCluster cluster) throws SQLException {
        try (PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "sessionReset=always")) {
            ds.setMaximumPoolSize(1);
            assertThat(nextBorrowerSees(ds, false, false, "SELECT become_clerk()", "SELECT current_user")).isEqualTo("pgha");
        }
    }

    @Test
    void aRoleSetByTheBorrowerStaysForItsWholeBorrow(LocalCluster cluster) throws SQLException {
        try (PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "")) {
            ds.setMaximumPoolSize(1);
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("SET ROLE clerk");
                c.setAutoCommit(false);
                assertThat(query(c, "SELECT current_user")).isEqualTo("clerk");
                c.commit();
                c.setAutoCommit(true);
                assertThat(query(c, "SELECT current_user")).isEqualTo("clerk");
                s.execute("RESET ALL");
                assertThat(query(c, "SELECT current_user")).as("RESET ALL leaves the role").isEqualTo("clerk");
            }
        }
    }

    @Test
    void aConnectionWithANamedPreparedStatementIsClosedNotReused(LocalCluster cluster) throws SQLException {
        try (PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "")) {
            ds.setMaximumPoolSize(1);
            String first;
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                first = query(c, "SELECT pg_backend_pid()::text");
                s.execute("PREPARE lookup AS SELECT 1");
            }
            try (Connection c = ds.getConnection()) {
                assertThat(query(c, "SELECT pg_backend_pid()::text")).isNotEqualTo(first);
                assertThat(query(c, "SELECT count(*) FROM pg_prepared_statements WHERE name = 'lookup'")).isEqualTo("0");
            }
        }
    }

    /**
     * Runs {@code change} on one borrow and {@code check} on the next, and returns what the
     * second saw, after checking that it had the same server process.
     */
    private static String nextBorrowerSees(PghaPoolDataSource ds, boolean readOnly, boolean inTransaction, String change,
            String check) throws SQLException {
        String pid;
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            c.setReadOnly(readOnly);
            c.setAutoCommit(!inTransaction);
            pid = query(c, "SELECT pg_backend_pid()::text");
            s.execute(change);
            if (inTransaction) {
                c.commit();
            }
        }
        try (Connection c = ds.getConnection()) {
            c.setReadOnly(readOnly);
            assertThat(query(c, "SELECT pg_backend_pid()::text")).as("the same physical connection").isEqualTo(pid);
            return query(c, check);
        }
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
