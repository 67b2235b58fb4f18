package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@LocalClusterTest
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NodeFaultsTest {

    @Test
    void aFrozenNodeHangsItsClientsWhileAProbeWithATimeoutFailsAndThawReleasesThem(LocalCluster cluster) throws Exception {
        Node node = cluster.primary();
        try (Connection c = cluster.connect(node)) {
            cluster.freeze(node);
            CompletableFuture<Integer> query;
            try {
                assertThat(cluster.isRunning(node)).isTrue();
                query = CompletableFuture.supplyAsync(() -> {
                    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 42")) {
                        rs.next();
                        return rs.getInt(1);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                // role() is a probe with a 2 s timeout: it must give up on the hung node.
                assertThat(cluster.role(node)).isEqualTo(Role.DOWN);
                assertThat(query).as("a query on the frozen node").isNotDone();
            } finally {
                cluster.thaw(node);
            }
            assertThat(query.get(30, TimeUnit.SECONDS)).isEqualTo(42);
            assertThat(cluster.role(node)).isEqualTo(Role.PRIMARY);
        }
    }

    @Test
    void pausedReplayShowsAsLagUntilResumed(LocalCluster cluster) throws Exception {
        Node standby = cluster.standbys().get(1);
        Sql.execute(cluster, cluster.primary(), "CREATE TABLE lag_probe (id int, filler text)");
        cluster.awaitReplication(Duration.ofSeconds(30));
        assertThat(cluster.lagBytes(standby)).isZero();

        cluster.pauseReplay(standby);
        long replayedBefore = cluster.lsn(standby);
        Sql.execute(cluster, cluster.primary(), "INSERT INTO lag_probe SELECT g, repeat('x', 1000) FROM generate_series(1, 2000) g");
        long primaryLsn = cluster.lsn(cluster.primary());
        // The standby still receives WAL, but does not replay it.
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.receivedLsn(standby) >= primaryLsn);
        assertThat(cluster.lsn(standby)).isEqualTo(replayedBefore);
        assertThat(cluster.lagBytes(standby)).isGreaterThan(1_000_000L);
        assertThat(rows(cluster, standby)).isZero();

        cluster.resumeReplay(standby);
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.lagBytes(standby) == 0);
        assertThat(rows(cluster, standby)).isEqualTo(2000L);
    }

    @Test
    void aStoppedStandbyIsDownAndCatchesUpWhenStarted(LocalCluster cluster) throws Exception {
        Node standby = cluster.standbys().get(1);
        cluster.stop(standby);
        assertThat(cluster.isRunning(standby)).isFalse();
        assertThat(cluster.role(standby)).isEqualTo(Role.DOWN);
        Sql.execute(cluster, cluster.primary(), "CREATE TABLE while_stopped AS SELECT 1 AS one");
        cluster.start(standby);
        assertThat(cluster.role(standby)).isEqualTo(Role.STANDBY);
        cluster.awaitReplication(Duration.ofSeconds(30));
        assertThat(Sql.queryLong(cluster, standby, "SELECT one FROM while_stopped")).isEqualTo(1);
    }

    private static long rows(LocalCluster cluster, Node node) throws Exception {
        return Sql.queryLong(cluster, node, "SELECT count(*) FROM lag_probe");
    }
}
