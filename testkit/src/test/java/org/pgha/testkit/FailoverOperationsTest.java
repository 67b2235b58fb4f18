package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** crash + promote + follow (or failOver) + rejoin, twice in a row, must leave a healthy 3-node cluster. */
@LocalClusterTest
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class FailoverOperationsTest {

    @Test
    void twoFailoversInARowLeaveAHealthyCluster(LocalCluster cluster) throws Exception {
        execute(cluster, cluster.primary(), "CREATE TABLE events (id int PRIMARY KEY)");
        int written = 0;
        for (int round = 1; round <= 2; round++) {
            Node oldPrimary = cluster.primary();
            Node sync = cluster.synchronousStandby().orElseThrow();
            Node async = cluster.standbys().stream().filter(n -> n != sync).findFirst().orElseThrow();
            int timelineBefore = cluster.timeline(oldPrimary);

            // Writes the asynchronous standby may or may not have: it can end up ahead of
            // or behind the promotion point, and follow must cope with both.
            written = insert(cluster, oldPrimary, written, 200);

            cluster.crash(oldPrimary);
            assertThat(cluster.isRunning(oldPrimary)).isFalse();
            assertThat(cluster.role(oldPrimary)).isEqualTo(Role.DOWN);

            // The first round by hand, the second with failOver, which re-points the others itself.
            Node promoted = round == 1 ? cluster.promote(sync) : cluster.failOver(sync);
            assertThat(cluster.primary()).isSameAs(promoted);
            assertThat(cluster.role(promoted)).isEqualTo(Role.PRIMARY);
            assertThat(cluster.timeline(promoted)).isEqualTo(timelineBefore + 1);
            // Every write acknowledged by the old primary reached the synchronous standby.
            assertThat(count(cluster, promoted)).isEqualTo(written);

            if (round == 1) {
                cluster.follow(async, promoted);
            }
            cluster.rejoin(oldPrimary);

            written = insert(cluster, promoted, written, 50);
            assertHealthy(cluster, written);
        }
    }

    private static void assertHealthy(LocalCluster cluster, int rows) throws SQLException {
        Node primary = cluster.primary();
        int timeline = cluster.timeline(primary);
        assertThat(cluster.standbys()).hasSize(2);
        cluster.awaitReplication(Duration.ofSeconds(30));
        assertThat(cluster.role(primary)).isEqualTo(Role.PRIMARY);
        int sync = 0;
        for (Node standby : cluster.standbys()) {
            assertThat(cluster.role(standby)).as("role of %s", standby).isEqualTo(Role.STANDBY);
            assertThat(cluster.timeline(standby)).as("timeline of %s", standby).isEqualTo(timeline);
            assertThat(cluster.lagBytes(standby)).as("lag of %s", standby).isZero();
            assertThat(count(cluster, standby)).as("rows on %s", standby).isEqualTo(rows);
            String state = cluster.syncState(standby).orElseThrow();
            assertThat(state).isIn("sync", "async");
            sync += state.equals("sync") ? 1 : 0;
        }
        assertThat(sync).as("synchronous standbys").isEqualTo(1);
    }

    private static int insert(LocalCluster cluster, Node primary, int from, int count) throws SQLException {
        execute(cluster, primary, "INSERT INTO events SELECT generate_series(" + (from + 1) + ", " + (from + count) + ")");
        return from + count;
    }

    private static int count(LocalCluster cluster, Node node) throws SQLException {
        return (int) Sql.queryLong(cluster, node, "SELECT count(*) FROM events");
    }

    private static void execute(LocalCluster cluster, Node node, String sql) throws SQLException {
        Sql.execute(cluster, node, sql);
    }
}
