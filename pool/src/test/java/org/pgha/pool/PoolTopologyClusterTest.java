package org.pgha.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.driver.ClusterEvent;
import org.pgha.driver.config.HostSpec;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * The node pools follow the cluster: a replica that stops leaves the reads and its pool empties;
 * when it comes back, reads reach it again; after a failover the old primary, rejoined as a
 * replica, never gets a write, and serves reads from its pool.
 */
@LocalClusterTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PoolTopologyClusterTest {

    @Test
    void poolsFollowAReplicaLeavingAndComingBackAndADemotedPrimary(LocalCluster cluster) throws SQLException {
        try (PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "probeInterval=100ms&maxReplicaLag=5s")) {
            ds.setMinimumIdle(1);
            Node async = cluster.standbys().stream()
                    .filter(n -> n != cluster.synchronousStandby().orElseThrow()).findFirst().orElseThrow();
            assertThat(readPorts(ds, 10)).contains(async.port());

            // A replica leaves: reads go on elsewhere, and its pool holds no connection.
            cluster.stop(async);
            Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(readPorts(ds, 6)).doesNotContain(async.port());
                assertThat(pool(ds, async).getTotalConnections()).isZero();
            });
            // It comes back: reads reach it again.
            cluster.start(async);
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(
                    () -> assertThat(readPorts(ds, 6)).contains(async.port()));

            // A failover: the old primary rejoins as a replica.
            Node old = cluster.primary();
            Node sync = cluster.synchronousStandby().orElseThrow();
            cluster.crash(old);
            Node promoted = cluster.failOver(sync);
            cluster.rejoin(old);
            for (int i = 0; i < 20; i++) {
                try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT inet_server_port(), pg_is_in_recovery()")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("writes go to the new primary").isEqualTo(promoted.port());
                    assertThat(rs.getBoolean(2)).isFalse();
                }
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(
                    () -> assertThat(readPorts(ds, 6)).contains(old.port()));
        }
    }

    /**
     * HikariCP, left alone, keeps connecting to a node that is down, doubling its pause between
     * attempts from 10 ms up to 5 s: attempts come about 5.1 s, 10.1 s, 15.1 s ... after the
     * first. A node back 1 s after one of them would make its first borrowers wait about 4 s
     * more. pgha stops the pool's attempts while the node is DOWN, so they wait for nothing.
     */
    @Test
    void aNodeThatWasDownForAWhileLendsConnectionsAsSoonAsItIsBack(LocalCluster cluster) throws Exception {
        Node async = cluster.standbys().stream()
                .filter(n -> n != cluster.synchronousStandby().orElseThrow()).findFirst().orElseThrow();
        java.util.concurrent.atomic.AtomicLong downAt = new java.util.concurrent.atomic.AtomicLong();
        try (PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "probeInterval=100ms&maxReplicaLag=5s")) {
            ds.setConnectionTimeout(2_000); // a borrow that waits longer goes to another node: slow, and seen
            ds.addClusterEventListener(e -> {
                if (e.type() == ClusterEvent.Type.NODE_DOWN && e.node().equals(async.hostAndPort())) {
                    downAt.compareAndSet(0, System.nanoTime());
                }
            });
            assertThat(readPorts(ds, 10)).contains(async.port());

            cluster.stop(async);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> downAt.get() != 0);
            // Back about 1 s after HikariCP's attempt at about 10.1 s (starting takes a few hundred ms).
            long startAt = downAt.get() + TimeUnit.MILLISECONDS.toNanos(10_140 + 700);
            Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(startAt - System.nanoTime())));
            cluster.start(async);

            long slowest = 0;
            int onAsync = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (onAsync < 10) {
                assertThat(System.nanoTime()).as("10 reads on the restarted node within 30 s").isLessThan(deadline);
                long started = System.nanoTime();
                if (readPorts(ds, 1).contains(async.port())) {
                    onAsync++;
                }
                slowest = Math.max(slowest, System.nanoTime() - started);
            }
            assertThat(Duration.ofNanos(slowest)).as("the slowest read").isLessThan(Duration.ofMillis(1_500));
        }
    }

    private static com.zaxxer.hikari.pool.HikariPool pool(PghaPoolDataSource ds, Node node) {
        return ds.nodePools().get(new HostSpec(node.host(), node.port()));
    }

    private static Set<Integer> readPorts(PghaPoolDataSource ds, int reads) throws SQLException {
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < reads; i++) {
            try (Connection c = ds.getConnection()) {
                c.setReadOnly(true);
                ports.add(PoolClusterTest.serverPort(c));
            }
        }
        return ports;
    }
}
