package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/** What does and does not fail over, and what a connection keeps across a failover. */
@LocalClusterTest(standbys = 1)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FailoverRulesClusterTest {

    @Test
    @Order(1)
    void anApplicationErrorIsThrownUnchangedAndTheConnectionStaysPut(LocalCluster cluster) throws SQLException {
        try (PghaDataSource ds = DataSources.of(cluster, ""); Connection c = ds.getConnection();
             Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            String node = c.unwrap(PghaConnection.class).currentNode();
            int backend = backendPid(c);
            assertThatThrownBy(() -> s.execute("SELEC 1")).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42601"));
            assertThatThrownBy(() -> s.execute("SELECT 1/0")).satisfies(
                    e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("22012"));
            assertThat(c.unwrap(PghaConnection.class).currentNode()).isEqualTo(node);
            assertThat(backendPid(c)).as("the same server session").isEqualTo(backend);
        }
    }

    @Test
    @Order(2)
    void aWrongPasswordFailsAtOnceAndIsNotRetried(LocalCluster cluster) {
        PghaDataSource ds = DataSources.of(cluster, "failoverTimeout=60s");
        ds.setPassword(cluster.password() + "-wrong");
        long started = System.nanoTime();
        try (ds) {
            assertThatThrownBy(() -> {
                try (Connection c = ds.getConnection()) {
                    RoutingClusterTest.port(c);
                }
            }).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
        }
        // Well under the failover timeout: nothing waited for a failover that cannot help.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    @Order(3)
    void sessionStateSurvivesAFailover(LocalCluster cluster) throws Exception {
        try (Connection admin = cluster.connect(cluster.primary()); Statement s = admin.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS clinic");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=200ms"); Connection c = ds.getConnection()) {
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setSchema("clinic");
            c.setClientInfo("ApplicationName", "ward-7");
            try (Statement s = c.createStatement()) {
                s.execute("SET statement_timeout = '4321ms'");
                s.execute("SET search_path TO clinic, public");
            }
            Node old = cluster.primary();
            Node promoted = cluster.standbys().get(0);
            cluster.crash(old);
            cluster.promote(promoted);

            c.setAutoCommit(false);
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT inet_server_port(), current_setting('statement_timeout'),"
                         + " current_setting('search_path'), current_setting('application_name'),"
                         + " current_setting('transaction_isolation')")) {
                rs.next();
                assertThat(rs.getInt(1)).as("served by the new primary").isEqualTo(promoted.port());
                assertThat(rs.getString(2)).isEqualTo("4321ms");
                assertThat(rs.getString(3)).isEqualTo("clinic, public");
                assertThat(rs.getString(4)).isEqualTo("ward-7");
                assertThat(rs.getString(5)).isEqualTo("repeatable read");
            }
            c.commit();
            cluster.rejoin(old);
        }
    }

    @Test
    @Order(4)
    void noPrimaryWithinFailoverTimeoutGivesTheTypedExceptionWithEveryNodesState(LocalCluster cluster) throws Exception {
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms&failoverTimeout=2s");
             Connection c = ds.getConnection()) {
            RoutingClusterTest.port(c);
            Node primary = cluster.primary();
            cluster.crash(primary);
            long started = System.nanoTime();
            assertThatThrownBy(() -> {
                try (Connection fresh = ds.getConnection(); Statement s = fresh.createStatement()) {
                    s.execute("SELECT 1");
                }
            }).isInstanceOf(FailoverTimeoutException.class).satisfies(e -> {
                assertThat(((SQLException) e).getSQLState()).isEqualTo(PghaSqlState.FAILOVER_TIMEOUT);
                assertThat(e).isInstanceOf(java.sql.SQLTransientException.class);
                for (Node n : cluster.nodes()) {
                    assertThat(e.getMessage()).contains(n.hostAndPort());
                }
                assertThat(e.getSuppressed()).isNotEmpty();
            });
            Duration waited = Duration.ofNanos(System.nanoTime() - started);
            assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(1500)).isLessThan(Duration.ofSeconds(30));
            cluster.start(primary);
        }
    }

    private static int backendPid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
