package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;

/**
 * One server under two names ({@code 127.0.0.1} and {@code 127.1}, as {@code db1} and
 * {@code db1.example.org}) is one node, not two primaries on one timeline: the name listed
 * first is used, the other is refused with a message that says why, and writes go on.
 */
@LocalClusterTest(standbys = 1)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SameServerTwiceClusterTest {

    @Test
    void theSecondNameOfAServerIsRefusedAndWritesGoOn(LocalCluster cluster) throws SQLException {
        int primary = cluster.primary().port();
        int standby = cluster.standbys().get(0).port();
        List<ClusterEvent> events = new CopyOnWriteArrayList<>();
        try (PghaDataSource ds = new PghaDataSource()) {
            ds.setUrl("jdbc:pgha://127.0.0.1:" + primary + ",127.1:" + primary + ",127.0.0.1:" + standby + ",127.1:" + standby
                    + "/" + cluster.database());
            ds.setUser(cluster.user());
            ds.setPassword(cluster.password());
            ds.addClusterEventListener(events::add);
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS twice (id int)");
                s.execute("INSERT INTO twice VALUES (1)");
                c.setReadOnly(true);
                try (ResultSet rs = s.executeQuery("SELECT inet_server_port()")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isIn(primary, standby);
                }
            }
            ClusterStatus status = ds.clusterStatus();
            assertThat(status.writes()).isEqualTo(ClusterStatus.Writes.PRIMARY);
            assertThat(status.primary()).isEqualTo("127.0.0.1:" + primary);
            assertThat(status.nodes()).filteredOn(ClusterStatus.Node::refused).extracting(ClusterStatus.Node::host)
                    .containsExactlyInAnyOrder("127.1:" + primary, "127.1:" + standby);
        }
        assertThat(events).filteredOn(e -> e.type() == ClusterEvent.Type.NODE_REFUSED)
                .extracting(ClusterEvent::detail)
                .anySatisfy(d -> assertThat(d).startsWith("the same server as 127.0.0.1:" + primary));
        assertThat(events).extracting(ClusterEvent::type).doesNotContain(ClusterEvent.Type.SPLIT_BRAIN);
    }

    @Test
    void aListenerAddedWhileTheMonitorStartsHearsWhatComesLater(LocalCluster cluster) throws SQLException {
        List<ClusterEvent> late = new CopyOnWriteArrayList<>();
        org.pgha.testkit.Node standby = cluster.standbys().get(0);
        try (PghaDataSource ds = DataSources.of(cluster, "")) {
            // The first event comes from a probe thread during the first probe round, while the
            // DataSource is still starting: the listener it adds then must not be lost.
            ds.addClusterEventListener(new ClusterEventListener() {
                private boolean added;

                @Override
                public void onEvent(ClusterEvent event) {
                    if (!added) {
                        added = true;
                        ds.addClusterEventListener(late::add);
                    }
                }
            });
            try (Connection c = ds.getConnection()) {
                c.createStatement().execute("SELECT 1");
            }
            cluster.stop(standby);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> late.stream().anyMatch(e -> e.type() == ClusterEvent.Type.NODE_DOWN));
        } finally {
            cluster.start(standby);
        }
    }
}
