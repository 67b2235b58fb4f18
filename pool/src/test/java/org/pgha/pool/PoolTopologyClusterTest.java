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
import org.pgha.driver.internal.HostSpec;
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
