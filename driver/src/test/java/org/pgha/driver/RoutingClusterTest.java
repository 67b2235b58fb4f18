package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/** Writes go to the primary, read-only transactions to the replicas within the lag bound. */
@LocalClusterTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RoutingClusterTest {

    private static PghaDataSource dataSource;

    @BeforeAll
    static void dataSource(LocalCluster cluster) {
        dataSource = DataSources.of(cluster, "maxReplicaLag=1s&probeInterval=100ms");
    }

    @AfterAll
    static void close() {
        dataSource.close();
    }

    @Test
    void writesGoToThePrimaryAndReadsSpreadOverTheReplicas(LocalCluster cluster) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            assertThat(port(c)).isEqualTo(cluster.primary().port());
            s.execute("CREATE TABLE IF NOT EXISTS routed (id int)");
            s.execute("INSERT INTO routed VALUES (1)");
        }
        Set<Integer> replicaPorts = cluster.standbys().stream().map(Node::port).collect(Collectors.toSet());
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            try (Connection c = dataSource.getConnection()) {
                c.setReadOnly(true);
                c.setAutoCommit(false);
                int port = port(c);
                assertThat(port).as("read %d", i).isIn(replicaPorts);
                seen.add(port);
                c.commit();
            }
        }
        assertThat(seen).as("replicas that served reads").isEqualTo(replicaPorts);
    }

    @Test
    void setReadOnlyBetweenTransactionsMovesTheConnection(LocalCluster cluster) throws SQLException {
        Set<Integer> replicaPorts = cluster.standbys().stream().map(Node::port).collect(Collectors.toSet());
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            assertThat(port(c)).isEqualTo(cluster.primary().port());
            c.commit();
            c.setReadOnly(true);
            // Read-your-writes: any transaction on the primary counts as a write, so reads stay
            // there until a replica is known to hold everything up to its commit.
            assertThat(port(c)).isEqualTo(cluster.primary().port());
            c.commit();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                int port = port(c);
                c.commit();
                return replicaPorts.contains(port);
            });
            c.setReadOnly(false);
            assertThat(port(c)).isEqualTo(cluster.primary().port());
            c.commit();
        }
    }

    @Test
    void aStatementFollowsItsConnectionToAnotherNodeWithItsParameters(LocalCluster cluster) throws SQLException {
        Set<Integer> replicaPorts = cluster.standbys().stream().map(Node::port).collect(Collectors.toSet());
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms&readYourWrites=false");
             Connection c = ds.getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("SELECT inet_server_port(), ?::text")) {
            ps.setString(1, "kept");
            ps.setFetchSize(7);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(cluster.primary().port());
            }
            c.setReadOnly(true);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).as("the same statement after setReadOnly(true)").isIn(replicaPorts);
                assertThat(rs.getString(2)).as("its parameter, set before the move").isEqualTo("kept");
            }
            assertThat(ps.getFetchSize()).isEqualTo(7);
            assertThat(ps.getConnection()).isSameAs(c);
        }
    }

    @Test
    void aStatementHoldingAStreamParameterCannotMoveUntilItIsSetAgain(LocalCluster cluster) throws SQLException {
        Set<Integer> replicaPorts = cluster.standbys().stream().map(Node::port).collect(Collectors.toSet());
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms&readYourWrites=false");
             Connection c = ds.getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement(
                     "SELECT inet_server_port(), ?::int + ?::int + ?::int + ?::int + ?::int, length(?::bytea)")) {
            for (int i = 5; i >= 1; i--) { // from the highest index down, and past the first capacity
                ps.setInt(i, i);
            }
            ps.setBinaryStream(6, new java.io.ByteArrayInputStream(new byte[3]), 3);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(cluster.primary().port());
                assertThat(rs.getInt(2)).isEqualTo(15);
            }
            c.setReadOnly(true);
            assertThatThrownBy(ps::executeQuery)
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("Parameter 6 was set from a stream")
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("0A000");
            ps.setBytes(6, new byte[4]);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).as("moved once the stream was replaced").isIn(replicaPorts);
                assertThat(rs.getInt(2)).as("the other parameters, set before the move").isEqualTo(15);
                assertThat(rs.getInt(3)).isEqualTo(4);
            }
        }
    }

    @Test
    void aReplicaWithPausedReplayStopsServingReadsUntilResumed(LocalCluster cluster) throws Exception {
        Node paused = cluster.standbys().get(1);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS ticks (id bigserial, at timestamptz DEFAULT now())");
        }
        AtomicBoolean writing = new AtomicBoolean(true);
        // Lag only exists while the primary writes: an idle primary's replicas are not behind.
        Thread writer = new Thread(() -> {
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                while (writing.get()) {
                    s.execute("INSERT INTO ticks DEFAULT VALUES");
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "ticks-writer");
        writer.start();
        try {
            cluster.pauseReplay(paused);
            await().atMost(Duration.ofSeconds(20)).until(() -> readPorts(20).stream().noneMatch(p -> p == paused.port()));
            // Once excluded it stays excluded while its replay is paused, however far behind it falls:
            // wait until the monitor has it more than twice the bound behind.
            await().atMost(Duration.ofSeconds(20)).until(() -> dataSource.clusterStatus().nodes().stream()
                    .filter(n -> n.host().equals(paused.hostAndPort())).allMatch(n -> n.lag() == null
                            || n.lag().compareTo(Duration.ofSeconds(2)) > 0));
            assertThat(readPorts(30)).doesNotContain(paused.port());

            cluster.resumeReplay(paused);
            await().atMost(Duration.ofSeconds(20)).until(() -> readPorts(20).contains(paused.port()));
        } finally {
            writing.set(false);
            writer.join(10_000);
            if (cluster.isRunning(paused)) {
                try {
                    cluster.resumeReplay(paused);
                } catch (IllegalStateException ignored) {
                    // resumed already
                }
            }
        }
    }

    private static Set<Integer> readPorts(int reads) throws SQLException {
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < reads; i++) {
            try (Connection c = dataSource.getConnection()) {
                c.setReadOnly(true);
                ports.add(port(c));
            }
        }
        return ports;
    }

    static int port(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT inet_server_port()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
