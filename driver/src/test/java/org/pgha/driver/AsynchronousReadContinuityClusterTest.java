package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.StalenessReport;

/**
 * A cluster with asynchronous standbys only: when its primary crashes, nothing shows what the
 * primary acknowledged after its last sample, so a replica read is provable only while that
 * sample is younger than {@code maxReplicaLag}. Reads must go on right after the crash and stop
 * once the bound has run out (refused with {@code 08R03} under {@code readFallback=fail}), and
 * none may be staler than the bound.
 */
@LocalClusterTest(standbys = 2, synchronousStandbys = 0)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AsynchronousReadContinuityClusterTest {

    private static final Duration BOUND = Duration.ofSeconds(1);

    @BeforeAll
    static void schema(LocalCluster cluster) throws SQLException {
        ReadContinuityClusterTest.schema(cluster);
    }

    @Test
    void readsGoOnAfterTheCrashOnlyUntilTheLastSampleOfThePrimaryIsOlderThanTheBound(LocalCluster cluster)
            throws Exception {
        List<ClusterEvent> events = new CopyOnWriteArrayList<>();
        ReadContinuityClusterTest.ReadLoad load;
        long crashedAt;
        long detectedAt;
        long refusedFrom;
        try (PghaDataSource ds = DataSources.of(cluster,
                "maxReplicaLag=" + BOUND.toMillis() + "ms&probeInterval=100ms&readFallback=fail")) {
            ds.addClusterEventListener(events::add);
            load = new ReadContinuityClusterTest.ReadLoad(ds);
            Thread.sleep(2_000);
            int started = ReadContinuityClusterTest.count(events, ClusterEvent.Type.FAILOVER_STARTED);
            cluster.crash(cluster.primary());
            crashedAt = load.checker.now(); // the primary's last sample was taken before this
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> ReadContinuityClusterTest.count(events, ClusterEvent.Type.FAILOVER_STARTED) > started);
            detectedAt = load.checker.now();
            refusedFrom = crashedAt + BOUND.toNanos();
            Thread.sleep(BOUND.toMillis() + 1_500);
            load.stopReaders(); // the writers wait for a primary that does not come; they end with the DataSource
        }
        assertThat(load.errors).as("errors seen by the readers").isEmpty();
        StalenessReport report = load.checker.report(BOUND);
        assertThat(report.isClean()).as(report.summary()).isTrue();
        assertThat(load.served.stream().filter(s -> s.startedAt() > detectedAt && s.startedAt() < refusedFrom))
                .as("reads served once pgha knew the primary was lost (%d ms after the crash), within the bound"
                        + " of its last sample, events %s", (detectedAt - crashedAt) / 1_000_000, events)
                .hasSizeGreaterThan(10);
        assertThat(load.served.stream().filter(s -> s.startedAt() > refusedFrom))
                .as("reads served once the primary's last sample was older than the bound").isEmpty();
        assertThat(load.refused.stream().filter(at -> at > refusedFrom + 200_000_000L))
                .as("reads refused with 08R03 after the bound ran out").hasSizeGreaterThan(10);
    }
}
