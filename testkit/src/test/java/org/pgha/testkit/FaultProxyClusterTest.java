package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every FaultProxy mode, as pgjdbc sees it in front of a real server. */
@LocalClusterTest(standbys = 0, synchronousStandbys = 0)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FaultProxyClusterTest {

    private FaultProxy proxy;
    private LocalCluster cluster;

    @BeforeEach
    void startProxy(LocalCluster cluster) {
        this.cluster = cluster;
        Node primary = cluster.primary();
        proxy = FaultProxy.start(primary.host(), primary.port());
    }

    @AfterEach
    void closeProxy() {
        proxy.close();
    }

    @Test
    void passForwardsQueries() throws SQLException {
        try (Connection c = connect()) {
            assertThat(select(c)).isEqualTo(1);
        }
        assertThat(proxy.mode()).isEqualTo(FaultProxy.Mode.PASS);
    }

    @Test
    void latencyDelaysEveryRoundTrip() throws SQLException {
        try (Connection c = connect()) {
            proxy.latency(Duration.ofMillis(150));
            long started = System.nanoTime();
            assertThat(select(c)).isEqualTo(1);
            // One round trip: at least the latency each way.
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        }
    }

    @Test
    void blackHoleLeavesQueriesAndConnectsUnanswered() throws SQLException {
        try (Connection c = connect()) {
            proxy.blackHole();
            long started = System.nanoTime();
            // Only the client's own read timeout (2 s) ends the wait: nothing ever answers.
            assertThatThrownBy(() -> select(c)).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).startsWith("08"));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        }
        // The closed connection leaves the count once its pump notices; then a new connect is
        // accepted and swallowed: held open, never answered, until the client gives up.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> proxy.openConnections() == 0);
        java.util.concurrent.CompletableFuture<Connection> attempt = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return connect();
            } catch (SQLException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> proxy.openConnections() == 1);
        assertThat(attempt).isNotDone();
        assertThatThrownBy(() -> attempt.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(SQLException.class);
    }

    @Test
    void resetBreaksExistingAndNewConnections() throws SQLException {
        try (Connection c = connect()) {
            proxy.reset();
            assertThatThrownBy(() -> select(c)).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).startsWith("08"));
        }
        assertThatThrownBy(this::connect).isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).startsWith("08"));
    }

    @Test
    void refuseRejectsNewConnectionsButKeepsExistingOnes() throws SQLException {
        try (Connection c = connect()) {
            proxy.refuse();
            assertThatThrownBy(this::connect).isInstanceOf(SQLException.class)
                    .hasStackTraceContaining("Connection refused");
            assertThat(select(c)).isEqualTo(1);
        }
        proxy.pass();
        try (Connection c = connect()) {
            assertThat(select(c)).isEqualTo(1);
        }
    }

    @Test
    void cutExistingBreaksOpenConnectionsOnly() throws SQLException {
        try (Connection c = connect()) {
            proxy.cutExisting();
            assertThatThrownBy(() -> select(c)).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).startsWith("08"));
        }
        try (Connection c = connect()) {
            assertThat(select(c)).isEqualTo(1);
        }
    }

    private Connection connect() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", cluster.user());
        props.setProperty("password", cluster.password());
        props.setProperty("connectTimeout", "2");
        props.setProperty("loginTimeout", "2");
        props.setProperty("socketTimeout", "2");
        return DriverManager.getConnection(
                "jdbc:postgresql://" + proxy.host() + ":" + proxy.port() + "/" + cluster.database(), props);
    }

    private static int select(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
