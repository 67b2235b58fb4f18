package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

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
class ReplicationTest {

    @Test
    void writesReachBothStandbysAndTheFirstIsSynchronous(LocalCluster cluster) throws Exception {
        Node primary = cluster.primary();
        assertThat(cluster.nodes()).hasSize(3);
        assertThat(cluster.role(primary)).isEqualTo(Role.PRIMARY);
        try (Connection c = cluster.connect(primary); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE replicated (id int PRIMARY KEY)");
            s.execute("INSERT INTO replicated SELECT generate_series(1, 100)");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
        for (Node standby : cluster.standbys()) {
            assertThat(cluster.role(standby)).isEqualTo(Role.STANDBY);
            try (Connection c = cluster.connect(standby); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM replicated")) {
                rs.next();
                assertThat(rs.getInt(1)).as("rows on %s", standby).isEqualTo(100);
            }
        }
        Node sync = cluster.synchronousStandby().orElseThrow();
        assertThat(cluster.syncState(sync)).contains("sync");
        Node async = cluster.standbys().stream().filter(n -> n != sync).findFirst().orElseThrow();
        assertThat(cluster.syncState(async)).contains("async");
    }

    @Test
    void aCommitOnThePrimaryBlocksWhileTheSynchronousStandbyIsFrozen(LocalCluster cluster) throws Exception {
        Node sync = cluster.synchronousStandby().orElseThrow();
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE sync_commit (id int)");
        }
        cluster.freeze(sync);
        CompletableFuture<Void> commit;
        try {
            commit = CompletableFuture.runAsync(() -> {
                try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
                    s.execute("INSERT INTO sync_commit VALUES (1)");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // The commit waits for the frozen standby's flush: it must still be pending.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> cluster.commitsAwaitingStandby(cluster.primary()) > 0);
            assertThat(commit).as("commit while the synchronous standby is frozen").isNotDone();
        } finally {
            cluster.thaw(sync);
        }
        commit.get(30, TimeUnit.SECONDS);
        try (Connection c = cluster.connect(sync); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM sync_commit")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }
}
