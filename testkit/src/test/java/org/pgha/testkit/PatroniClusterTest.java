package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The testkit's Patroni cluster does what Patroni does: elects, names a synchronous standby, switches over, pauses. */
@Tag("cluster")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PatroniClusterTest {

    /**
     * On CI Patroni must be there (.ci/run installs it); elsewhere its absence skips the test.
     * The run on the embedded binaries skips it too: Patroni runs on the system's installation.
     */
    static void requirePatroni() {
        assumeTrue(!"embedded".equals(System.getProperty(PgBinaries.BINARIES_PROPERTY)),
                "Patroni runs on the system's PostgreSQL installation, not on the embedded binaries");
        assumeTrue(PatroniCluster.isAvailable() || System.getenv("CI") != null,
                "patroni, patronictl, etcd and etcdctl are not installed (Debian: patroni, etcd-server, etcd-client)");
    }

    @Test
    void aLeaderIsElectedSwitchesOverAndPatroniPauses() throws Exception {
        requirePatroni();
        try (PatroniCluster cluster = PatroniCluster.builder().members(3).start()) {
            PatroniCluster.Member first = cluster.leader();
            assertThat(cluster.members()).hasSize(3);
            assertThat(syncStandbys(cluster, first)).as("synchronous_mode: one synchronous standby").isEqualTo(1);

            PatroniCluster.Member candidate = cluster.synchronousStandby().orElseThrow();
            cluster.switchover(candidate);
            assertThat(cluster.leader()).isEqualTo(candidate);

            // A leader killed and replaced once its lease runs out, members added and removed,
            // tags: the driver's PatroniClusterTest covers them, through pgha.

            cluster.pause();
            assertThat(cluster.patronictl("list")).contains("Maintenance mode: on");
            cluster.resume();
            assertThat(cluster.patronictl("list")).doesNotContain("Maintenance mode: on");
        }
    }

    private static int syncStandbys(PatroniCluster cluster, PatroniCluster.Member leader) throws SQLException {
        // Patroni names the synchronous standby a moment after the replicas stream.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try (Connection c = cluster.connect(leader); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")) {
                rs.next();
                int count = rs.getInt(1);
                if (count > 0 || System.nanoTime() > deadline) {
                    return count;
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
    }
}
