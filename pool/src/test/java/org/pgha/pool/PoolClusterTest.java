package org.pgha.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.pgha.driver.ClusterEvent;
import org.pgha.driver.ClusterStatus;
import org.pgha.driver.FailoverTimeoutException;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/** The pool on a real cluster: routing over the node pools, exhaustion, meters, and close. */
@LocalClusterTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PoolClusterTest {

    static PghaPoolDataSource pool(LocalCluster cluster, String parameters) {
        PghaPoolDataSource ds = new PghaPoolDataSource();
        ds.setJdbcUrl("jdbc:pgha://" + cluster.hosts() + "/" + cluster.database()
                + (parameters.isEmpty() ? "" : "?" + parameters));
        ds.setUsername(cluster.user());
        ds.setPassword(cluster.password());
        ds.addDataSourceProperty("ApplicationName", "pgha-pool-test");
        return ds;
    }

    static int serverPort(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT inet_server_port()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    @Order(1)
    void writesGoToThePrimarysPoolAndReadOnlyTransactionsSpreadOverTheReplicas(LocalCluster cluster) throws SQLException {
        try (PghaPoolDataSource ds = pool(cluster, "maxReplicaLag=5s")) {
            ds.setMaximumPoolSize(4);
            ds.setReplicaMaximumPoolSize(2);
            for (int i = 0; i < 5; i++) {
                try (Connection c = ds.getConnection()) {
                    assertThat(serverPort(c)).isEqualTo(cluster.primary().port());
                }
            }
            Set<Integer> readPorts = new HashSet<>();
            for (int i = 0; i < 10; i++) {
                try (Connection c = ds.getConnection()) {
                    c.setReadOnly(true);
                    c.setAutoCommit(false);
                    readPorts.add(serverPort(c));
                    c.commit();
                }
            }
            assertThat(readPorts).containsExactlyInAnyOrderElementsOf(cluster.standbys().stream().map(Node::port).toList());
            // One pool per node used, each sized for the node's role.
            assertThat(ds.nodePools()).hasSize(3);
            ds.nodePools().forEach((host, p) -> assertThat(p.getTotalConnections()).isLessThanOrEqualTo(
                    host.port() == cluster.primary().port() ? 4 : 2));
            // A logical connection holds no physical connection before its first statement.
            int active = ds.nodePools().values().stream().mapToInt(p -> p.getActiveConnections()).sum();
            try (Connection idle = ds.getConnection()) {
                assertThat(ds.nodePools().values().stream().mapToInt(p -> p.getActiveConnections()).sum()).isEqualTo(active);
            }
        }
    }

    @Test
    @Order(2)
    void anExhaustedPoolGivesHikariCpsTimeoutErrorAndNoFailover(LocalCluster cluster) throws SQLException {
        List<ClusterEvent> events = new CopyOnWriteArrayList<>();
        try (PghaPoolDataSource ds = pool(cluster, "")) {
            ds.setMaximumPoolSize(1);
            ds.setConnectionTimeout(600);
            ds.addClusterEventListener(events::add);
            try (Connection holder = ds.getConnection()) {
                serverPort(holder);
                long started = System.nanoTime();
                try (Connection second = ds.getConnection()) {
                    assertThatThrownBy(() -> serverPort(second)).isInstanceOf(SQLTransientConnectionException.class)
                            .hasMessageContaining("Connection is not available, request timed out after 600ms");
                }
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
                // The holder's connection is unharmed, and nothing failed over.
                assertThat(serverPort(holder)).isEqualTo(cluster.primary().port());
            }
            assertThat(events).extracting(ClusterEvent::type)
                    .doesNotContain(ClusterEvent.Type.NODE_DOWN, ClusterEvent.Type.FAILOVER_STARTED);
        }
    }

    @Test
    @Order(3)
    void sessionSettingsDoNotLeakToTheNextBorrower(LocalCluster cluster) throws SQLException {
        try (PghaPoolDataSource ds = pool(cluster, "")) {
            ds.setMaximumPoolSize(1);
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("SET statement_timeout = '17s'");
                assertThat(show(c, "statement_timeout")).isEqualTo("17s");
            }
            try (Connection c = ds.getConnection()) {
                assertThat(show(c, "statement_timeout")).isEqualTo("0");
            }
        }
    }

    @Test
    @Order(4)
    void meterTagsNameTheNodeAndItsRole(LocalCluster cluster) throws SQLException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (PghaPoolDataSource ds = pool(cluster, "")) {
            ds.setMetricRegistry(registry);
            ds.setPoolName("ehr");
            try (Connection c = ds.getConnection()) {
                serverPort(c);
                assertThat(registry.get("hikaricp.connections.active").tag("pool", "ehr " + cluster.primary().hostAndPort())
                        .tag("node", cluster.primary().hostAndPort()).tag("role", "primary").gauge().value()).isEqualTo(1);
            }
            assertThat(registry.get("pgha.statements.routed").tag("role", "primary").tag("node", cluster.primary().hostAndPort())
                    .counter().count()).isPositive();
        }
        // Closed: HikariCP's meters of the node pools are gone.
        assertThat(registry.find("hikaricp.connections.active").gauges()).isEmpty();
    }

    @Test
    @Order(4)
    void clusterStatusNamesThePrimaryAndEveryNodesRoleAndLag(LocalCluster cluster) throws SQLException {
        try (PghaPoolDataSource ds = pool(cluster, "probeInterval=100ms")) {
            ClusterStatus status = ds.clusterStatus(); // starts the monitor: no connection needed
            assertThat(status.writes()).isEqualTo(ClusterStatus.Writes.PRIMARY);
            assertThat(status.primary()).isEqualTo(cluster.primary().hostAndPort());
            assertThat(status.nodes()).extracting(ClusterStatus.Node::host)
                    .containsExactlyElementsOf(cluster.nodes().stream().map(Node::hostAndPort).toList());
            for (ClusterStatus.Node node : status.nodes()) {
                boolean primary = node.host().equals(cluster.primary().hostAndPort());
                assertThat(node.up()).isTrue();
                assertThat(node.role()).isEqualTo(primary ? ClusterStatus.Role.PRIMARY : ClusterStatus.Role.REPLICA);
                assertThat(node.timeline()).isEqualTo(cluster.timeline(cluster.primary()));
                if (primary) {
                    assertThat(node.lag()).isEqualTo(Duration.ZERO);
                    assertThat(node.lagBytes()).isZero();
                }
            }
            // The replicas' lag becomes known once the monitor holds a few samples of the primary.
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ds.clusterStatus().nodes().stream()
                    .allMatch(n -> n.lag() != null && n.lag().compareTo(Duration.ofSeconds(2)) < 0));
        }
        try (PghaPoolDataSource bad = pool(cluster, "maxReplicaLag=soon")) {
            assertThatThrownBy(bad::clusterStatus).isInstanceOf(SQLException.class).hasMessageContaining("maxReplicaLag");
        }
    }

    @Test
    @Order(5)
    void closeLeavesNoConnectionAndNoThreadBehind(LocalCluster cluster) throws SQLException {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        PghaPoolDataSource ds = pool(cluster, "");
        ds.setPoolName("closing");
        ds.setMinimumIdle(2);
        try (Connection c = ds.getConnection()) {
            serverPort(c);
            c.setReadOnly(true);
            serverPort(c);
        }
        assertThat(serverConnections(cluster)).isPositive();
        ds.close();
        assertThat(ds.isClosed()).isTrue();
        assertThatThrownBy(() -> serverPort(ds.getConnection())).isInstanceOf(SQLException.class);
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(serverConnections(cluster)).isZero();
            assertThat(Thread.getAllStackTraces().keySet()).allMatch(t -> before.contains(t) || !t.isAlive()
                    || !(t.getName().contains("closing") || t.getName().contains("pgha")));
        });
    }

    /**
     * A pooled connection idle on the primary when it crashes is aborted by the monitor; the
     * next autocommit write on that logical connection goes to the new primary before anything
     * is sent, so it runs once with no error (no "outcome unknown").
     */
    @Test
    @Order(6)
    void anIdleConnectionWhosePrimaryCrashedWritesOnTheNewPrimaryWithNoError(LocalCluster cluster) throws SQLException {
        List<ClusterEvent> events = new CopyOnWriteArrayList<>();
        try (PghaPoolDataSource ds = pool(cluster, "probeInterval=100ms")) {
            ds.addClusterEventListener(events::add);
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS idle_write (id int)");
                Node old = cluster.primary();
                Node sync = cluster.synchronousStandby().orElseThrow();
                cluster.crash(old);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.stream()
                        .anyMatch(e -> e.type() == ClusterEvent.Type.NODE_DOWN && e.node().equals(old.hostAndPort())));
                Node promoted = cluster.failOver(sync);
                assertThat(s.executeUpdate("INSERT INTO idle_write VALUES (1)")).isEqualTo(1);
                assertThat(serverPort(c)).isEqualTo(promoted.port());
                cluster.rejoin(old);
            }
        }
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM idle_write")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }

    /**
     * A borrow waits for a primary no longer than HikariCP's connectionTimeout, as a borrow from
     * HikariCP does; work already under way waits up to failoverTimeout instead.
     */
    @Test
    @Order(7)
    void aBorrowWithNoPrimaryFailsAfterConnectionTimeoutNotFailoverTimeout(LocalCluster cluster) throws SQLException {
        List<ClusterEvent> events = new CopyOnWriteArrayList<>();
        try (PghaPoolDataSource ds = pool(cluster, "probeInterval=100ms&failoverTimeout=60s")) {
            ds.setConnectionTimeout(1000);
            ds.addClusterEventListener(events::add);
            try (Connection warm = ds.getConnection()) {
                serverPort(warm);
            }
            Node old = cluster.primary();
            cluster.crash(old);
            // Borrowed after the crash was seen (a statement sent before that is in flight at the
            // crash, with what that means for an autocommit statement).
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.stream()
                    .anyMatch(e -> e.type() == ClusterEvent.Type.NODE_DOWN && e.node().equals(old.hostAndPort())));
            try {
                long started = System.nanoTime();
                try (Connection c = ds.getConnection()) {
                    assertThatThrownBy(() -> serverPort(c)).isInstanceOf(FailoverTimeoutException.class)
                            .hasMessageContaining("No usable primary within connectionTimeout (1000 ms)");
                }
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("well under failoverTimeout")
                        .isLessThan(Duration.ofSeconds(20));
            } finally {
                cluster.failOver(cluster.synchronousStandby().orElseThrow());
                cluster.rejoin(old);
            }
        }
    }

    private static String show(Connection c, String setting) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The pool's server sessions on every node. */
    private static int serverConnections(LocalCluster cluster) throws SQLException {
        int count = 0;
        for (Node node : cluster.nodes()) {
            try (Connection c = cluster.connect(node); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgha-pool-test'")) {
                rs.next();
                count += rs.getInt(1);
            }
        }
        return count;
    }
}
