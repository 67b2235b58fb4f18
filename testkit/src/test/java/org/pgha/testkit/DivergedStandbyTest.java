package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An asynchronous standby that replayed past the new primary's promotion point holds a
 * commit the new primary never saw: follow and rejoin must rewind or re-clone it, not merely
 * re-point it. Made deterministic by stopping the synchronous standby, so that the old
 * primary's last commit reaches the asynchronous standby only. (Freezing it would not do:
 * its kernel still buffers the WAL it is sent, and it reads that once thawed.)
 */
@LocalClusterTest
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DivergedStandbyTest {

    @Test
    void followAndRejoinDiscardWhatTheNewPrimaryNeverHad(LocalCluster cluster) throws Exception {
        Node oldPrimary = cluster.primary();
        Node sync = cluster.synchronousStandby().orElseThrow();
        Node async = cluster.standbys().stream().filter(n -> n != sync).findFirst().orElseThrow();
        execute(cluster, oldPrimary, "CREATE TABLE notes (id int PRIMARY KEY)");
        execute(cluster, oldPrimary, "INSERT INTO notes VALUES (1)");
        cluster.awaitReplication(Duration.ofSeconds(30));

        cluster.stop(sync);
        // This commit waits for the absent synchronous standby, but its WAL streams to the
        // asynchronous one, which replays it: the row becomes visible there.
        CompletableFuture<Void> pending = CompletableFuture.runAsync(() -> {
            try {
                execute(cluster, oldPrimary, "INSERT INTO notes VALUES (2)");
            } catch (SQLException expected) {
                // the crash below ends this session
            }
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> count(cluster, async) == 2);
        cluster.crash(oldPrimary);
        cluster.start(sync);
        pending.get(30, TimeUnit.SECONDS);

        Node promoted = cluster.promote(sync);
        assertThat(count(cluster, promoted)).as("the new primary never had row 2").isEqualTo(1);

        cluster.follow(async, promoted);
        cluster.rejoin(oldPrimary);
        execute(cluster, promoted, "INSERT INTO notes VALUES (3)");
        cluster.awaitReplication(Duration.ofSeconds(30));

        int timeline = cluster.timeline(promoted);
        for (Node standby : cluster.standbys()) {
            assertThat(cluster.role(standby)).as("role of %s", standby).isEqualTo(Role.STANDBY);
            assertThat(cluster.timeline(standby)).as("timeline of %s", standby).isEqualTo(timeline);
            assertThat(ids(cluster, standby)).as("rows on %s", standby).isEqualTo("1,3");
        }
    }

    private static int count(LocalCluster cluster, Node node) throws SQLException {
        return (int) Sql.queryLong(cluster, node, "SELECT count(*) FROM notes");
    }

    private static String ids(LocalCluster cluster, Node node) throws SQLException {
        return Sql.query(cluster, node, "SELECT string_agg(id::text, ',' ORDER BY id) FROM notes");
    }

    private static void execute(LocalCluster cluster, Node node, String sql) throws SQLException {
        Sql.execute(cluster, node, sql);
    }
}
