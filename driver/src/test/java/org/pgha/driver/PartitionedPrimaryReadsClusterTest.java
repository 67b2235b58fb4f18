package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.FaultProxy;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;
import org.pgha.testkit.StalenessReport;

/**
 * A partition between the application and its primary, which goes on committing for another
 * client through its synchronous standby. pgha cannot see the primary, so only the synchronous
 * standby's own samples bound what the replicas miss: reads must go on through the partition
 * and none may miss a write the other client had acknowledged longer than {@code maxReplicaLag}
 * before the read began.
 */
@LocalClusterTest(standbys = 2)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PartitionedPrimaryReadsClusterTest {

    private static final Duration BOUND = Duration.ofSeconds(1);
    private static final long PARTITION_MILLIS = 3_000;

    @BeforeAll
    static void schema(LocalCluster cluster) throws SQLException {
        ReadContinuityClusterTest.schema(cluster);
    }

    @Test
    void readsGoOnWithinTheBoundWhileThePrimaryCommitsForOthersBehindAPartition(LocalCluster cluster) throws Exception {
        Node primary = cluster.primary();
        List<ClusterEvent> events = new CopyOnWriteArrayList<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong committed = new AtomicLong();
        ReadContinuityClusterTest.ReadLoad load;
        long from;
        long to;
        long committedInside;
        try (FaultProxy link = FaultProxy.start(primary.host(), primary.port())) {
            StringBuilder hosts = new StringBuilder(link.host() + ":" + link.port());
            cluster.standbys().forEach(s -> hosts.append(',').append(s.hostAndPort()));
            String url = "jdbc:pgha://" + hosts + "/" + cluster.database()
                    + "?maxReplicaLag=" + BOUND.toMillis() + "ms&probeInterval=100ms&probeTimeout=300ms&readFallback=fail";
            try (PghaDataSource ds = DataSources.withUrl(cluster, url)) {
                ds.addClusterEventListener(events::add);
                load = new ReadContinuityClusterTest.ReadLoad(ds, 0);
                CompletableFuture<Void> other = CompletableFuture.runAsync(() -> writeDirectly(cluster, primary, load,
                        writing, committed));
                Thread.sleep(2_000);
                int started = ReadContinuityClusterTest.count(events, ClusterEvent.Type.FAILOVER_STARTED);
                link.blackHole();
                Awaitility.await().atMost(Duration.ofSeconds(30))
                        .until(() -> ReadContinuityClusterTest.count(events, ClusterEvent.Type.FAILOVER_STARTED) > started);
                long before = committed.get();
                from = load.checker.now();
                Thread.sleep(PARTITION_MILLIS);
                to = load.checker.now();
                committedInside = committed.get() - before;
                link.pass();
                Thread.sleep(1_000);
                writing.set(false);
                load.stop();
                other.get(60, TimeUnit.SECONDS);
            }
        }
        assertThat(load.errors).as("errors seen by the application").isEmpty();
        assertThat(committedInside).as("commits of the other client during the partition").isGreaterThan(50);
        StalenessReport report = load.checker.report(BOUND);
        assertThat(report.isClean()).as(report.summary()).isTrue();
        // The primary's last sample is older than the partition's detection (from): after
        // from + BOUND only the synchronous standby's samples can bound a replica.
        long unbounded = from + BOUND.toNanos();
        assertThat(load.served.stream().filter(s -> s.startedAt() > unbounded && s.endedAt() < to))
                .as("reads served while pgha could not reach the primary, more than the bound after its last sample"
                        + " (refused: %d), events %s", load.refused.stream().filter(at -> at > unbounded && at < to).count(),
                        events)
                .hasSizeGreaterThan(50);
    }

    /** Another client, with a path to the primary: every row in turn, each update its own transaction. */
    private static void writeDirectly(LocalCluster cluster, Node primary, ReadContinuityClusterTest.ReadLoad load,
                                      AtomicBoolean writing, AtomicLong committed) {
        try (Connection c = cluster.connect(primary);
             PreparedStatement update = c.prepareStatement("UPDATE versions SET seq = ? WHERE key = ?")) {
            long seq = 0;
            while (writing.get()) {
                seq++;
                for (int key = 0; key < ReadContinuityClusterTest.KEYS; key++) {
                    update.setLong(1, seq);
                    update.setLong(2, key);
                    update.executeUpdate(); // autocommit: acknowledged when it returns
                    load.checker.writeAcknowledged(key, seq, "other-client");
                    committed.incrementAndGet();
                }
                Thread.sleep(10);
            }
        } catch (SQLException | InterruptedException e) {
            load.errors.add(e);
        }
    }
}
