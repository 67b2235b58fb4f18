package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;
import org.pgha.testkit.Role;

/** Writes never reach a node that must not take them. */
@LocalClusterTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FencingClusterTest {

    @Test
    void aNodeOfAnotherClusterInTheUrlIsRefusedAndNeverUsed(LocalCluster cluster) throws Exception {
        try (LocalCluster foreign = LocalCluster.builder().standbys(0).synchronousStandbys(0).start()) {
            Node stranger = foreign.primary();
            List<ClusterEvent> events = new CopyOnWriteArrayList<>();
            PghaDataSource ds = new PghaDataSource();
            ds.setUrl("jdbc:pgha://" + cluster.hosts() + "," + stranger.hostAndPort() + "/" + cluster.database()
                    + "?probeInterval=100ms");
            ds.setUser(cluster.user());
            ds.setPassword(cluster.password());
            ds.addClusterEventListener(events::add);
            try (ds) {
                for (int i = 0; i < 30; i++) {
                    try (Connection c = ds.getConnection()) {
                        c.setReadOnly(i % 3 != 0);
                        assertThat(RoutingClusterTest.port(c)).as("statement %d", i).isNotEqualTo(stranger.port());
                    }
                }
                assertThat(events).anySatisfy(e -> {
                    assertThat(e.type()).isEqualTo(ClusterEvent.Type.NODE_REFUSED);
                    assertThat(e.node()).isEqualTo(stranger.hostAndPort());
                });
            }
        }
    }

    @Test
    void anOldPrimaryRestartedOnALowerTimelineNeverGetsAWrite(LocalCluster cluster) throws Exception {
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms")) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE fenced (id serial, port int DEFAULT inet_server_port())");
            }
            Node old = cluster.primary();
            cluster.crash(old);
            Node promoted = cluster.promote(cluster.synchronousStandby().orElseThrow());
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> writePort(ds) == promoted.port());

            // The old primary comes back as a primary on its old, lower timeline: a split brain
            // that only the timeline resolves.
            cluster.start(old);
            assertThat(cluster.role(old)).isEqualTo(Role.PRIMARY);
            assertThat(cluster.timeline(old)).isLessThan(cluster.timeline(promoted));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            int writes = 0;
            while (System.nanoTime() < deadline) {
                assertThat(writePort(ds)).as("write %d", writes).isEqualTo(promoted.port());
                writes++;
            }
            try (Connection c = cluster.connect(old); Statement s = c.createStatement();
                 java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM fenced WHERE port = " + promoted.port())) {
                rs.next();
                assertThat(rs.getLong(1)).as("rows of the new primary on the old one").isZero();
            }
            assertThat(writes).isPositive();
        }
    }

    private static int writePort(PghaDataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO fenced DEFAULT VALUES");
            return RoutingClusterTest.port(c);
        }
    }
}
