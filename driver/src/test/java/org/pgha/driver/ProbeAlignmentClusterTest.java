package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * Caught-up replicas are usable with a bound close to the probe interval: with
 * {@code maxReplicaLag=1s} and {@code probeInterval=500ms}, under a light write load, each
 * standby (the synchronous one and the asynchronous one) is within the bound nearly all the
 * time, and read-only transactions in a row are spread over both. The monitor probes the
 * replicas just after each primary sample, so that this holds whatever the probers' phases
 * (with independent phases a replica's bound is up to two probe intervals). Here all probers
 * start together, so the test checks the outcome, not the alignment itself: it also passes
 * without the alignment.
 */
@LocalClusterTest(standbys = 2)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ProbeAlignmentClusterTest {

    @Test
    void caughtUpReplicasStayWithinABoundOfTwoProbeIntervals(LocalCluster cluster) throws Exception {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE beat (id int PRIMARY KEY, n bigint NOT NULL)");
            s.execute("INSERT INTO beat VALUES (1, 0)");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (PghaDataSource ds = DataSources.of(cluster, "maxReplicaLag=1s&probeInterval=500ms")) {
            Future<?> writes = writer.submit(() -> {
                try (Connection c = ds.getConnection();
                     PreparedStatement ps = c.prepareStatement("UPDATE beat SET n = n + 1 WHERE id = 1")) {
                    while (running.get()) {
                        ps.executeUpdate();
                        Thread.sleep(50);
                    }
                }
                return null;
            });
            Thread.sleep(2_000);
            Map<String, int[]> within = new HashMap<>();
            int samples = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() - end < 0) {
                for (ClusterStatus.Node n : ds.clusterStatus().nodes()) {
                    if (n.role() == ClusterStatus.Role.REPLICA) {
                        int[] count = within.computeIfAbsent(n.host(), h -> new int[1]);
                        if (n.lag() != null && n.lag().compareTo(Duration.ofSeconds(1)) <= 0) {
                            count[0]++;
                        }
                    }
                }
                samples++;
                Thread.sleep(7);
            }
            Map<String, Integer> servedBy = new HashMap<>();
            for (int i = 0; i < 40; i++) {
                try (Connection c = ds.getConnection()) {
                    c.setReadOnly(true);
                    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT n FROM beat")) {
                        rs.next();
                    }
                    servedBy.merge(c.unwrap(PghaConnection.class).currentNode(), 1, Integer::sum);
                }
            }
            running.set(false);
            writes.get(30, TimeUnit.SECONDS);
            for (Node standby : cluster.standbys()) {
                int[] count = within.get(standby.hostAndPort());
                double share = count == null ? 0 : count[0] / (double) samples;
                System.out.printf("probe alignment: %s within 1 s in %.4f of %d samples, served %s of 40%n", standby,
                        share, samples, servedBy.get(standby.hostAndPort()));
                assertThat(share).as("share of %d samples with %s within 1 s (all: %s)", samples, standby,
                        within.keySet()).isGreaterThan(0.9);
                assertThat(servedBy.getOrDefault(standby.hostAndPort(), 0)).as("of 40 read-only transactions: %s", servedBy)
                        .isGreaterThanOrEqualTo(8);
            }
        } finally {
            running.set(false);
            writer.shutdownNow();
        }
    }
}
