package org.pgha.driver.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pgha.driver.LoadBalance;
import org.pgha.driver.PghaSqlState;
import org.pgha.driver.ReadFallback;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.topology.Lsn;
import org.pgha.driver.topology.NodeRole;
import org.pgha.driver.topology.NodeState;
import org.pgha.driver.topology.PrimaryHistory;
import org.pgha.driver.topology.Topology;

class RouterTest {

    private static final HostSpec P = new HostSpec("p", 5432);
    private static final HostSpec R1 = new HostSpec("r1", 5432);
    private static final HostSpec R2 = new HostSpec("r2", 5432);
    private static final HostSpec R3 = new HostSpec("r3", 5432);
    private static final HostSpec R4 = new HostSpec("r4", 5432);
    private static final int TL = 5;

    private static long ms(long millis) {
        return millis * 1_000_000L;
    }

    /** Samples every 100 ms from 0 to 1000 ms, LSN 1000 per 100 ms: LSN 1000k sent at 100k ms. */
    private static final PrimaryHistory HISTORY = history(10);
    /** Routing time: a replica at 10000 lags 50 ms, at 9000 150 ms, at 5000 550 ms. */
    private static final long NOW = ms(1050);

    private static PrimaryHistory history(int lastK) {
        PrimaryHistory h = PrimaryHistory.empty();
        for (int k = 0; k <= lastK; k++) {
            h = h.with(ms(100L * k), 1000L * k);
        }
        return h;
    }

    private static NodeState primary(HostSpec host, int timeline) {
        return NodeState.probed(host, NodeRole.PRIMARY, 10_000, timeline, ms(1000));
    }

    private static NodeState replica(HostSpec host, long lsn) {
        return replica(host, lsn, TL);
    }

    private static NodeState replica(HostSpec host, long lsn, int timeline) {
        return NodeState.probed(host, NodeRole.REPLICA, lsn, timeline, ms(1000));
    }

    /** The nodes in this seed order, with {@code history} recorded on the first up PRIMARY. */
    private static Topology topology(PrimaryHistory history, NodeState... nodes) {
        List<HostSpec> seeds = new ArrayList<>();
        for (NodeState n : nodes) {
            seeds.add(n.host());
        }
        Topology.Builder builder = Topology.builder(seeds);
        for (NodeState n : nodes) {
            builder.node(n);
        }
        for (NodeState n : nodes) {
            if (n.up() && n.role() == NodeRole.PRIMARY) {
                builder.primaryHistory(n.host(), n.timeline(), history);
                break;
            }
        }
        return builder.takenAtNanos(ms(1000)).build();
    }

    private static Topology topology(NodeState... nodes) {
        return topology(HISTORY, nodes);
    }

    private static Router router(LoadBalance loadBalance, ReadFallback fallback, Duration bound) {
        return new Router(loadBalance, fallback, bound, OptionalLong.empty(), new Random(7));
    }

    private static Router router(ReadFallback fallback) {
        return router(LoadBalance.ROUND_ROBIN, fallback, Duration.ofMillis(200));
    }

    private static HostSpec read(Router router, Topology topology, ReadConsistency consistency) throws SQLException {
        return router.choose(RoutingIntent.READ, topology, NOW, consistency).host();
    }

    private static Map<HostSpec, Integer> readMany(Router router, Topology topology, int reads) throws SQLException {
        Map<HostSpec, Integer> counts = new HashMap<>();
        for (int i = 0; i < reads; i++) {
            counts.merge(read(router, topology, ReadConsistency.NONE), 1, Integer::sum);
        }
        return counts;
    }

    // ---- writes ----

    @Test
    void writesGoToThePrimaryAndReadsDoNot() throws SQLException {
        Topology t = topology(replica(R1, 10_000), primary(P, TL), replica(R2, 10_000));
        Router router = router(ReadFallback.PRIMARY);
        for (int i = 0; i < 10; i++) {
            assertThat(router.choose(RoutingIntent.WRITE, t, NOW, ReadConsistency.NONE).host()).isEqualTo(P);
            assertThat(read(router, t, ReadConsistency.NONE)).isIn(R1, R2);
        }
    }

    @Test
    void aDrainedReplicaGetsNoNewReadAndLosesTheOneItHeldButStillTakesWritesAsPrimary() throws SQLException {
        Topology t = topology(replica(R1, 10_000), primary(P, TL), replica(R2, 10_000)).toBuilder()
                .drained(java.util.Set.of(R1, P)).build();
        Router router = router(ReadFallback.FAIL);
        for (int i = 0; i < 10; i++) {
            assertThat(read(router, t, ReadConsistency.NONE)).isEqualTo(R2);
        }
        assertThat(router.stillQualifies(RoutingIntent.READ, R1, t, NOW, ReadConsistency.NONE)).isFalse();
        assertThat(router.stillQualifies(RoutingIntent.READ, R2, t, NOW, ReadConsistency.NONE)).isTrue();
        assertThat(router.choose(RoutingIntent.WRITE, t, NOW, ReadConsistency.NONE).host())
                .as("a stopping leader takes writes until it is gone").isEqualTo(P);
        Topology both = t.toBuilder().drained(java.util.Set.of(R1, R2)).build();
        SQLException e = catchThrowableOfType(SQLException.class, () -> read(router, both, ReadConsistency.NONE));
        assertThat(e.getSQLState()).isEqualTo(PghaSqlState.NO_REPLICA_WITHIN_LAG);
        assertThat(e.getMessage()).contains("r1:5432 drained: Patroni lists it as leaving, or tagged noloadbalance");
    }

    @Test
    void splitBrainRefusesWritesAndNamesBothPrimaries() {
        Topology t = topology(primary(P, TL), primary(R1, TL), replica(R2, 10_000));
        SQLException e = catchThrowableOfType(SQLException.class,
                () -> router(ReadFallback.PRIMARY).choose(RoutingIntent.WRITE, t, NOW, ReadConsistency.NONE));
        assertThat(e.getSQLState()).isEqualTo(PghaSqlState.SPLIT_BRAIN).isEqualTo("08R02");
        assertThat(e.getMessage()).contains("p:5432 on timeline 5", "r1:5432 on timeline 5").doesNotContain("r2");
    }

    @Test
    void noPrimaryFailsWritesAndDescribesEveryNode() {
        Topology t = topology(primary(P, TL).withFailure("connect timed out", false), replica(R1, 10_000),
                NodeState.unknown(R2).withFailure("Connection refused", false));
        SQLException e = catchThrowableOfType(SQLException.class,
                () -> router(ReadFallback.PRIMARY).choose(RoutingIntent.WRITE, t, NOW, ReadConsistency.NONE));
        assertThat(e.getSQLState()).isEqualTo(PghaSqlState.NO_PRIMARY).isEqualTo("08R01");
        assertThat(e.getMessage()).contains("p:5432 PRIMARY down", "connect timed out", "r1:5432 REPLICA up",
                "r2:5432 UNKNOWN down", "Connection refused");
    }

    @Test
    void withoutAWriteTargetOrAnyHistoryNoReplicaIsReadEither() {
        // The replica is fresh by LSN, but no primary was ever sampled: nothing to judge it by.
        Topology noPrimary = topology(primary(P, TL).withUp(false), replica(R1, 10_000));
        assertThatThrownBy(() -> read(router(ReadFallback.PRIMARY), noPrimary, ReadConsistency.NONE))
                .isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo(PghaSqlState.NO_PRIMARY));
        SQLException failed = catchThrowableOfType(SQLException.class,
                () -> read(router(ReadFallback.FAIL), noPrimary, ReadConsistency.NONE));
        assertThat(failed.getSQLState()).isEqualTo(PghaSqlState.NO_REPLICA_WITHIN_LAG);
        assertThat(failed.getMessage()).contains("r1:5432 replica, but no usable primary");
        assertThat(failed.getCause()).isInstanceOfSatisfying(SQLException.class,
                cause -> assertThat(cause.getSQLState()).isEqualTo(PghaSqlState.NO_PRIMARY));

        Topology splitBrain = topology(primary(P, TL), primary(R2, TL), replica(R1, 10_000));
        assertThatThrownBy(() -> read(router(ReadFallback.PRIMARY), splitBrain, ReadConsistency.NONE))
                .isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo(PghaSqlState.SPLIT_BRAIN));
    }

    /** P was the write target and is DOWN: its history, recorded while it was, is all that is left. */
    private static Topology lost(PrimaryHistory history, List<org.pgha.driver.topology.SyncWitness> witnesses,
            NodeState... replicas) {
        List<HostSpec> seeds = new ArrayList<>(List.of(P));
        for (NodeState n : replicas) {
            seeds.add(n.host());
        }
        Topology.Builder builder = Topology.builder(seeds).node(primary(P, TL).withUp(false));
        for (NodeState n : replicas) {
            builder.node(n);
        }
        return builder.primaryHistory(P, TL, history).witnesses(witnesses).takenAtNanos(ms(1000)).build();
    }

    @Test
    void aLostPrimarysSamplesStillBoundItsReplicasUntilTheBoundRunsOut() throws SQLException {
        Topology noPrimary = lost(HISTORY, List.of(), replica(R1, 10_000), replica(R2, 5_000), replica(R3, 10_000, TL + 1));
        assertThat(noPrimary.writeTarget().isOk()).isFalse();
        // At 1050 ms R1 holds every write acknowledged before the sample sent at 1000 ms: 50 ms.
        assertThat(read(router(ReadFallback.FAIL), noPrimary, ReadConsistency.NONE)).isEqualTo(R1);
        // 300 ms later nothing proves what the primary acknowledged after its last sample.
        SQLException late = catchThrowableOfType(SQLException.class,
                () -> router(ReadFallback.FAIL).choose(RoutingIntent.READ, noPrimary, NOW + ms(300), ReadConsistency.NONE));
        assertThat(late.getSQLState()).isEqualTo(PghaSqlState.NO_REPLICA_WITHIN_LAG);
        assertThat(late.getMessage()).contains("lag bounded by the last primary's samples only")
                .contains("r1:5432 lag 350ms > 200ms").contains("r3:5432 on timeline 6, not the primary's 5");
        assertThatThrownBy(() -> router(ReadFallback.PRIMARY).choose(RoutingIntent.READ, noPrimary, NOW + ms(300),
                ReadConsistency.NONE)).isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo(PghaSqlState.NO_PRIMARY));
        // Writes still have nowhere to go.
        assertThatThrownBy(() -> router(ReadFallback.PRIMARY).choose(RoutingIntent.WRITE, noPrimary, NOW, ReadConsistency.NONE))
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo(PghaSqlState.NO_PRIMARY));
    }

    @Test
    void aSynchronousStandbysSamplesBoundReadsLongAfterThePrimaryIsGone() throws SQLException {
        // The standby R1 received up to 10500 by 5000 ms, sampled every 100 ms; the anchor is 2000.
        PrimaryHistory received = PrimaryHistory.empty().with(ms(4800), 10_300).with(ms(4900), 10_400).with(ms(5000), 10_500);
        List<org.pgha.driver.topology.SyncWitness> witness = List.of(new org.pgha.driver.topology.SyncWitness(R1, 2_000, received));
        long now = ms(5050);
        Topology noPrimary = lost(HISTORY, witness, replica(R1, 10_500), replica(R2, 10_400), replica(R3, 1_500));
        Router leastLag = router(LoadBalance.LEAST_LAG, ReadFallback.FAIL, Duration.ofMillis(200));
        assertThat(leastLag.choose(RoutingIntent.READ, noPrimary, now, ReadConsistency.NONE).host()).isEqualTo(R1);
        assertThat(noPrimary.lagNanos(noPrimary.node(R1).orElseThrow(), now)).isEqualTo(ms(50));
        // R2 replayed what R1 had received at 4900 ms: it holds what was acknowledged before then.
        assertThat(noPrimary.lagNanos(noPrimary.node(R2).orElseThrow(), now)).isEqualTo(ms(150));
        // R3 is below the anchor: commits from before R1 was synchronous may be missing there, so
        // only the primary's old sample at 100 ms bounds it.
        assertThat(noPrimary.lagNanos(noPrimary.node(R3).orElseThrow(), now)).isEqualTo(ms(4950));
        assertThat(readMany(leastLag, noPrimary, 20)).containsOnlyKeys(R1);
        // Read-your-writes: a write acknowledged at 4950 ms is known held only where the 5000 ms sample is.
        ReadConsistency wrote = ReadConsistency.afterWrite(ms(4950));
        assertThat(router(LoadBalance.ROUND_ROBIN, ReadFallback.FAIL, Duration.ofMillis(200))
                .stillQualifies(RoutingIntent.READ, R2, noPrimary, now, wrote)).isFalse();
        assertThat(router(LoadBalance.ROUND_ROBIN, ReadFallback.FAIL, Duration.ofMillis(200))
                .stillQualifies(RoutingIntent.READ, R1, noPrimary, now, wrote)).isTrue();
        // A split brain ends every proof, witness or not.
        Topology splitBrain = Topology.builder(List.of(P, R1, R4)).node(primary(P, TL)).node(replica(R1, 10_500))
                .node(primary(R4, TL)).primaryHistory(P, TL, HISTORY).witnesses(witness).takenAtNanos(ms(1000)).build();
        assertThat(splitBrain.readBasis().isNone()).isTrue();
    }

    // ---- spreading reads ----

    @Test
    void roundRobinSpreadsReadsEvenlyOverEligibleReplicasOnly() throws SQLException {
        Router router = router(ReadFallback.PRIMARY);
        Topology all = topology(primary(P, TL), replica(R1, 10_000), replica(R2, 9_000), replica(R3, 12_000));
        assertThat(readMany(router, all, 300)).containsOnly(Map.entry(R1, 100), Map.entry(R2, 100), Map.entry(R3, 100));

        Topology oneLagging = topology(primary(P, TL), replica(R1, 10_000), replica(R2, 5_000), replica(R3, 12_000));
        assertThat(readMany(router, oneLagging, 300)).containsOnly(Map.entry(R1, 150), Map.entry(R3, 150));
    }

    @Test
    void leastLagPicksTheFreshestAndBreaksTiesBySeedOrder() throws SQLException {
        Router router = router(LoadBalance.LEAST_LAG, ReadFallback.PRIMARY, Duration.ofMillis(200));
        // r1 lags 150 ms; r2 and r3 are both at or past the latest sample (50 ms): r2 comes first.
        Topology t = topology(primary(P, TL), replica(R1, 9_000), replica(R2, 10_000), replica(R3, 12_000));
        assertThat(readMany(router, t, 20)).containsOnly(Map.entry(R2, 20));
        Topology r2Behind = t.withNode(replica(R2, 9_500));
        assertThat(readMany(router, r2Behind, 20)).containsOnly(Map.entry(R3, 20));
    }

    @Test
    void randomStaysWithinTheEligibleSet() throws SQLException {
        Router router = new Router(LoadBalance.RANDOM, ReadFallback.PRIMARY, Duration.ofMillis(200),
                OptionalLong.empty(), new Random(42));
        Topology t = topology(primary(P, TL), replica(R1, 10_000), replica(R2, 5_000), replica(R3, 9_000));
        Map<HostSpec, Integer> counts = readMany(router, t, 1000);
        assertThat(counts).containsOnlyKeys(R1, R3);
        assertThat(counts.get(R1)).isBetween(400, 600);
    }

    // ---- eligibility ----

    @Test
    void aReplicaLaggingInTimeIsExcludedAndTheBoundIsInclusive() throws SQLException {
        Topology t = topology(primary(P, TL), replica(R1, 5_000), replica(R2, 10_000));
        assertThat(readMany(router(ReadFallback.PRIMARY), t, 10)).containsOnly(Map.entry(R2, 10));
        // r1 lags exactly 550 ms.
        Router at550 = router(LoadBalance.ROUND_ROBIN, ReadFallback.PRIMARY, Duration.ofMillis(550));
        assertThat(readMany(at550, t, 10)).containsOnlyKeys(R1, R2);
        Router below550 = router(LoadBalance.ROUND_ROBIN, ReadFallback.PRIMARY, Duration.ofMillis(550).minusNanos(1));
        assertThat(readMany(below550, t, 10)).containsOnly(Map.entry(R2, 10));
    }

    @Test
    void aReplicaLaggingInBytesIsExcluded() throws SQLException {
        Router bytes1000 = new Router(LoadBalance.ROUND_ROBIN, ReadFallback.PRIMARY, Duration.ofSeconds(5),
                OptionalLong.of(1000), new Random(1));
        // The latest sample is 10000: r1 is 1000 bytes behind (allowed), r2 1001 (not).
        Topology t = topology(primary(P, TL), replica(R1, 9_000), replica(R2, 8_999));
        assertThat(readMany(bytes1000, t, 10)).containsOnly(Map.entry(R1, 10));
        Router noByteBound = router(LoadBalance.ROUND_ROBIN, ReadFallback.PRIMARY, Duration.ofSeconds(5));
        assertThat(readMany(noByteBound, t, 10)).containsOnlyKeys(R1, R2);
    }

    @Test
    void aReplicaOnAnotherOrUnknownTimelineIsNeverRead() throws SQLException {
        Topology t = topology(primary(P, TL), replica(R1, 12_000, TL - 1), replica(R2, 12_000, 0),
                replica(R3, 12_000, TL + 1), replica(R4, 10_000));
        assertThat(readMany(router(ReadFallback.PRIMARY), t, 10)).containsOnly(Map.entry(R4, 10));

        // Unknown equals unknown, but proves nothing: a primary whose timeline the monitor could
        // not read does not vouch for a replica whose timeline it could not read either.
        Topology bothUnknown = topology(primary(P, 0), replica(R1, 12_000, 0));
        assertThat(bothUnknown.primaryHistory().isEmpty()).isFalse();
        assertThat(readMany(router(ReadFallback.PRIMARY), bothUnknown, 10)).containsOnly(Map.entry(P, 10));
    }

    @Test
    void aHistoryOfAnotherPrimaryBoundsNoReplica() throws SQLException {
        // After a failover the monitor has the new primary but still the old one's history.
        Topology t = Topology.builder(List.of(P, R1, R2)).node(primary(P, TL + 1)).node(replica(R1, 10_000, TL + 1))
                .node(replica(R2, 10_000, TL + 1)).primaryHistory(R2, TL, HISTORY).build();
        assertThat(readMany(router(ReadFallback.PRIMARY), t, 10)).containsOnly(Map.entry(P, 10));
    }

    @Test
    void anUnknownLagIsExcludedEvenWithAnUnboundedLagLimit() throws SQLException {
        Router unbounded = router(LoadBalance.ROUND_ROBIN, ReadFallback.PRIMARY, Duration.ofSeconds(Long.MAX_VALUE));
        PrimaryHistory late = PrimaryHistory.empty().with(ms(900), 9_000).with(ms(1000), 10_000);
        Topology t = topology(late, primary(P, TL), replica(R1, 8_999), replica(R2, 9_000));
        assertThat(readMany(unbounded, t, 10)).containsOnly(Map.entry(R2, 10));
        Topology onlyUnknown = t.withNode(replica(R2, Lsn.UNKNOWN));
        assertThat(readMany(unbounded, onlyUnknown, 10)).containsOnly(Map.entry(P, 10));
    }

    // ---- session consistency ----

    @Test
    void readYourWritesNeedsASampleSentAfterTheWriteAndHeldByTheReplica() throws SQLException {
        Router router = router(ReadFallback.PRIMARY);
        // Write acknowledged at 950 ms: the 1000 ms sample (LSN 10000) is the first sent after it.
        ReadConsistency afterWrite = ReadConsistency.afterWrite(ms(950));
        Topology t = topology(primary(P, TL), replica(R1, 9_999), replica(R2, 10_000));
        for (int i = 0; i < 10; i++) {
            assertThat(read(router, t, afterWrite)).isEqualTo(R2);
        }
        Topology neither = t.withNode(replica(R2, 9_999));
        assertThat(read(router, neither, afterWrite)).isEqualTo(P);
        assertThat(read(router, neither, ReadConsistency.NONE)).as("within the lag bound otherwise").isIn(R1, R2);
    }

    @Test
    void afterAWriteReadsGoToThePrimaryUntilAReplicaIsKnownToHoldIt() throws SQLException {
        Router router = router(ReadFallback.PRIMARY);
        // Write acknowledged at 1000 ms, the very time of the latest sample: that sample does not count.
        ReadConsistency afterWrite = ReadConsistency.afterWrite(ms(1000));
        Topology before = topology(primary(P, TL), replica(R1, 20_000), replica(R2, 20_000));
        assertThat(read(router, before, afterWrite)).isEqualTo(P);

        PrimaryHistory next = HISTORY.with(ms(1040), 10_500);
        Topology sampled = topology(next, primary(P, TL), replica(R1, 10_499), replica(R2, 10_400));
        assertThat(read(router, sampled, afterWrite)).as("no replica has reached the 1040 ms sample").isEqualTo(P);
        Topology caughtUp = topology(next, primary(P, TL), replica(R1, 10_499), replica(R2, 10_500));
        assertThat(read(router, caughtUp, afterWrite)).isEqualTo(R2);
    }

    @Test
    void aTokenNeedsTheReplicaToHaveReplayedIt() throws SQLException {
        Router router = router(ReadFallback.PRIMARY);
        Topology t = topology(primary(P, TL), replica(R1, 9_000), replica(R2, 9_500));
        for (int i = 0; i < 10; i++) {
            assertThat(read(router, t, ReadConsistency.atLeast(9_500))).isEqualTo(R2);
        }
        assertThat(read(router, t, ReadConsistency.atLeast(9_501))).isEqualTo(P);
        assertThat(HISTORY.lsnSentAfter(ms(850))).as("the token for a write at 850 ms").hasValue(9_000);
        assertThat(readMany(router, t, 10)).containsOnlyKeys(R1, R2);
    }

    @Test
    void aTokenOfANewerTimelineIsServedByNoNodeOfAnOlderOne() throws SQLException {
        Router router = router(ReadFallback.PRIMARY);
        Topology t = topology(primary(P, TL), replica(R1, 10_000), replica(R2, 10_000));
        assertThat(read(router, t, ReadConsistency.atLeast(9_000, TL))).isIn(R1, R2);
        assertThat(read(router, t, ReadConsistency.atLeast(9_000, TL - 1))).isIn(R1, R2);

        // The token was made on a primary promoted since: this snapshot's primary is the old one
        // (still running, or not yet seen as gone), and the replicas replayed its timeline only.
        SQLException e = catchThrowableOfType(SQLException.class,
                () -> read(router, t, ReadConsistency.atLeast(9_000, TL + 1)));
        assertThat(e.getSQLState()).as("the read waits for the monitor, as without a primary")
                .isEqualTo(PghaSqlState.NO_PRIMARY);
        assertThat(e.getMessage()).contains("consistency token's timeline 6", "p:5432 is on timeline 5");
        assertThat(router.stillQualifies(RoutingIntent.READ, R1, t, NOW, ReadConsistency.atLeast(9_000, TL + 1)))
                .isFalse();
        SQLException failing = catchThrowableOfType(SQLException.class,
                () -> read(router(ReadFallback.FAIL), t, ReadConsistency.atLeast(9_000, TL + 1)));
        assertThat(failing.getMessage()).contains("r1:5432 behind token: replay LSN 0/2710 on timeline 5, token 0/2328 on timeline 6");
    }

    // ---- fallback ----

    @Test
    void withNoEligibleReplicaFallbackPrimaryReadsThePrimaryAndFailGivesEveryReason() throws SQLException {
        Topology t = topology(primary(P, TL),
                replica(R1, 10_000).withFailure("Connection refused", false),
                replica(R2, 10_000, TL - 1),
                replica(R3, 5_000),
                replica(R4, 10_000).withRefused(true));
        assertThat(read(router(ReadFallback.PRIMARY), t, ReadConsistency.NONE)).isEqualTo(P);

        SQLException e = catchThrowableOfType(SQLException.class,
                () -> read(router(ReadFallback.FAIL), t, ReadConsistency.NONE));
        assertThat(e.getSQLState()).isEqualTo(PghaSqlState.NO_REPLICA_WITHIN_LAG).isEqualTo("08R03");
        assertThat(e.getMessage()).contains(
                "no replica within the lag bound of 200ms",
                "r1:5432 down (Connection refused)",
                "r2:5432 on timeline 4, not the primary's 5",
                "r3:5432 lag 550ms > 200ms",
                "r4:5432 refused").doesNotContain("p:5432");
    }

    @Test
    void failNamesSessionConsistencyAsTheReasonToo() {
        Router fail = router(ReadFallback.FAIL);
        Topology t = topology(primary(P, TL), replica(R1, 9_999), replica(R2, 7_000));
        SQLException behindWrite = catchThrowableOfType(SQLException.class,
                () -> read(fail, t, ReadConsistency.afterWrite(ms(950))));
        assertThat(behindWrite.getMessage()).contains("r1:5432 not caught up with this session's write",
                "r2:5432 lag 350ms > 200ms");

        SQLException behindToken = catchThrowableOfType(SQLException.class,
                () -> read(fail, t, ReadConsistency.atLeast(10_000)));
        assertThat(behindToken.getMessage()).contains(
                "r1:5432 behind token: replay LSN 0/270F on timeline 5, token 0/2710 on timeline 0");

        Router bytes = new Router(LoadBalance.ROUND_ROBIN, ReadFallback.FAIL, Duration.ofMillis(200),
                OptionalLong.of(100), new Random(1));
        SQLException behindBytes = catchThrowableOfType(SQLException.class,
                () -> read(bytes, t.withNode(replica(R1, 9_000)), ReadConsistency.NONE));
        assertThat(behindBytes.getMessage()).contains("lag bound of 200ms and 100 bytes",
                "r1:5432 behind by 1000 bytes > 100");
    }

    @Test
    void invalidBoundsAreRejected() {
        assertThatThrownBy(() -> router(LoadBalance.ROUND_ROBIN, ReadFallback.FAIL, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Router(LoadBalance.ROUND_ROBIN, ReadFallback.FAIL, Duration.ZERO,
                OptionalLong.of(-1), new Random(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Router(LoadBalance.ROUND_ROBIN, ReadFallback.FAIL, Duration.ZERO,
                OptionalLong.empty(), null)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- the staleness guarantee as a property ----

    /**
     * A random primary and workload, consistent with how PostgreSQL behaves: the primary's WAL
     * write position W(t) only grows; a write acknowledged at {@code a} has its commit record at
     * or below W(a); a probe sent at {@code t} executes at some later moment (probes run one at
     * a time) and answers W of that moment; a replica holds a prefix of the WAL the primary has.
     */
    private static final class Scenario {
        final long[] walTimes;
        final long[] walPositions;
        final long[] ackTimes;
        final long[] commitLsns;
        final long[] sampleTimes;
        final long[] sampleLsns;
        final PrimaryHistory history;
        final long now;
        final long bound;

        Scenario(Random rnd) {
            long end = ms(2000);
            List<long[]> wal = new ArrayList<>();
            long t = 0;
            long position = 0;
            while (t <= end + ms(200)) {
                wal.add(new long[] {t, position});
                t += 100_000 + rnd.nextInt(5_000_000);
                position += rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(2000); // sometimes idle
            }
            walTimes = wal.stream().mapToLong(e -> e[0]).toArray();
            walPositions = wal.stream().mapToLong(e -> e[1]).toArray();

            int writes = 300;
            ackTimes = new long[writes];
            commitLsns = new long[writes];
            for (int i = 0; i < writes; i++) {
                ackTimes[i] = (long) (rnd.nextDouble() * end);
                long written = wal(ackTimes[i]);
                commitLsns[i] = rnd.nextBoolean() ? written : Math.max(0, written - rnd.nextInt(3000));
            }

            List<long[]> samples = new ArrayList<>();
            long sent = rnd.nextInt(20_000_000);
            long executed = Long.MIN_VALUE;
            PrimaryHistory h = PrimaryHistory.empty();
            while (sent < end) {
                executed = Math.max(executed, sent + rnd.nextInt(3_000_000));
                long lsn = wal(executed);
                samples.add(new long[] {sent, lsn});
                h = h.with(sent, lsn);
                sent += ms(5) + rnd.nextInt((int) ms(60));
            }
            sampleTimes = samples.stream().mapToLong(e -> e[0]).toArray();
            sampleLsns = samples.stream().mapToLong(e -> e[1]).toArray();
            history = h;
            now = end + rnd.nextInt((int) ms(80));
            bound = ms(20) + rnd.nextInt((int) ms(280));
        }

        /** W(t): the primary's WAL write position at {@code t}. */
        long wal(long t) {
            int i = Arrays.binarySearch(walTimes, t);
            return walPositions[i >= 0 ? i : -i - 2];
        }

        /** A replay position the replica could have now, often exactly on a boundary. */
        long replicaLsn(Random rnd) {
            // Mostly near the latest samples, where the bound is decided.
            int recent = sampleLsns.length - 1 - rnd.nextInt(Math.min(15, sampleLsns.length));
            switch (rnd.nextInt(4)) {
                case 0:
                    return sampleLsns[recent];
                case 1:
                    return Math.max(0, sampleLsns[recent] - 1);
                case 2:
                    return commitLsns[rnd.nextInt(commitLsns.length)];
                default:
                    return (long) (rnd.nextDouble() * (wal(now) + 1));
            }
        }

        /** The first write acknowledged strictly before {@code now - bound} that {@code lsn} misses, -1 if none. */
        int missedOldWrite(long lsn) {
            for (int i = 0; i < ackTimes.length; i++) {
                if (ackTimes[i] - (now - bound) < 0 && commitLsns[i] > lsn) {
                    return i;
                }
            }
            return -1;
        }
    }

    @Test
    void aReplicaReadSeesEveryWriteAcknowledgedBeforeNowMinusTheBound() throws SQLException {
        Random rnd = new Random(0x5EED);
        int routedToReplica = 0;
        int routedToPrimary = 0;
        int optimisticViolations = 0;
        for (int trial = 0; trial < 400; trial++) {
            Scenario s = new Scenario(rnd);
            Router router = new Router(LoadBalance.LEAST_LAG, ReadFallback.PRIMARY, Duration.ofNanos(s.bound),
                    OptionalLong.empty(), new Random(trial));
            for (int r = 0; r < 20; r++) {
                long lsn = s.replicaLsn(rnd);
                int sessionWrite = rnd.nextBoolean() ? rnd.nextInt(s.ackTimes.length) : -1;
                ReadConsistency consistency = sessionWrite < 0 ? ReadConsistency.NONE
                        : ReadConsistency.afterWrite(s.ackTimes[sessionWrite]);
                Topology t = topology(s.history, NodeState.probed(P, NodeRole.PRIMARY, s.wal(s.now), TL, s.now),
                        replica(R1, lsn));
                NodeState chosen = router.choose(RoutingIntent.READ, t, s.now, consistency);
                if (chosen.host().equals(R1)) {
                    routedToReplica++;
                    int missed = s.missedOldWrite(lsn);
                    assertThat(missed).as("trial %d: replica at %d with bound %d ns at %d misses write (ack %d, lsn %d)",
                            trial, lsn, s.bound, s.now, missed < 0 ? 0 : s.ackTimes[missed],
                            missed < 0 ? 0 : s.commitLsns[missed]).isNegative();
                    if (sessionWrite >= 0) {
                        assertThat(s.commitLsns[sessionWrite]).as("trial %d: the session's own write", trial)
                                .isLessThanOrEqualTo(lsn);
                    }
                } else {
                    assertThat(chosen.host()).isEqualTo(P);
                    routedToPrimary++;
                }
                if (sessionWrite >= 0) {
                    // The token made from the write's acknowledgement time covers the write.
                    OptionalLong token = s.history.lsnSentAfter(s.ackTimes[sessionWrite]);
                    if (token.isPresent()) {
                        assertThat(s.commitLsns[sessionWrite]).isLessThanOrEqualTo(token.getAsLong());
                    }
                }
                if (optimisticLagNanos(s, lsn) <= s.bound && s.missedOldWrite(lsn) >= 0) {
                    optimisticViolations++;
                }
            }
        }
        // Not vacuous: both outcomes are common, and the scenarios are sharp enough to catch an
        // estimator that is only slightly optimistic.
        assertThat(routedToReplica).isGreaterThan(500);
        assertThat(routedToPrimary).isGreaterThan(500);
        assertThat(optimisticViolations).isGreaterThan(0);
    }

    /**
     * A plausible but wrong estimator: the replica is taken to be as fresh as the first sample at
     * or above its LSN, as if the primary had reached that LSN only when the sample was sent.
     */
    private static long optimisticLagNanos(Scenario s, long replicaLsn) {
        for (int i = 0; i < s.sampleLsns.length; i++) {
            if (s.sampleLsns[i] >= replicaLsn) {
                return s.now - s.sampleTimes[i];
            }
        }
        return s.now - s.sampleTimes[s.sampleTimes.length - 1];
    }
}
