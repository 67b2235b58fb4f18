package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StalenessCheckerTest {

    private static final long MS = 1_000_000L;
    private static final Duration ONE_SECOND = Duration.ofSeconds(1);

    /** A clock that only moves when told; starts away from zero so no test relies on zero. */
    private final AtomicLong clock = new AtomicLong(1_000_000 * MS);
    private final StalenessChecker checker = new StalenessChecker(clock::get);

    private long at(long millis) {
        return 1_000_000 * MS + millis * MS;
    }

    /** Records an acknowledgement at the given time (in ms on the test's clock). */
    private void ackAt(long millis, long key, long seq, String session) {
        clock.set(at(millis));
        checker.writeAcknowledged(key, seq, session);
    }

    @Test
    void aReadMissingAWriteAcknowledgedLongerAgoThanTheBoundIsStale() {
        ackAt(0, 1, 1, "writer");
        checker.readCompleted(at(2_500), 1, 0, "reader", "standby-1");

        StalenessReport report = checker.report(ONE_SECOND);

        assertThat(report.isClean()).isFalse();
        assertThat(report.readsChecked()).isEqualTo(1);
        assertThat(report.writesRecorded()).isEqualTo(1);
        assertThat(report.staleReads()).containsExactly(new StalenessReport.StaleRead(
                at(2_500), 1, 0, 1, "reader", "standby-1", Duration.ofMillis(2_500)));
        assertThat(report.readYourWritesViolations()).isEmpty();
        assertThat(report.maxStaleness()).isEqualTo(Duration.ofMillis(2_500));
    }

    @Test
    void aReadMissingAWriteAcknowledgedWithinTheBoundIsNotStaleButCountsTowardsMaxStaleness() {
        ackAt(0, 1, 1, "writer");
        checker.readCompleted(at(400), 1, 0, "reader", "standby-1");

        StalenessReport report = checker.report(ONE_SECOND);

        assertThat(report.isClean()).isTrue();
        assertThat(report.staleReads()).isEmpty();
        assertThat(report.maxStaleness()).isEqualTo(Duration.ofMillis(400));
    }

    @Test
    void requiredSeqIsTheNewestWriteOlderThanTheBoundAndStalenessDatesFromTheEarliestMissed() {
        ackAt(0, 7, 1, "w");
        ackAt(1_000, 7, 2, "w");
        ackAt(2_000, 7, 3, "w");
        ackAt(3_000, 7, 4, "w");
        // At 3_500 with a 1 s bound, writes acknowledged before 2_500 are required: seqs 1..3.
        checker.readCompleted(at(3_500), 7, 1, "r", "standby-2");

        StalenessReport report = checker.report(ONE_SECOND);

        assertThat(report.staleReads()).containsExactly(new StalenessReport.StaleRead(
                at(3_500), 7, 1, 3, "r", "standby-2", Duration.ofMillis(2_500)));
        assertThat(report.maxStaleness()).isEqualTo(Duration.ofMillis(2_500));
    }

    @Test
    void aWriteAcknowledgedExactlyTheBoundBeforeTheReadIsNotRequiredButOneNanosecondEarlierIs() {
        ackAt(0, 1, 1, "w");
        long ack = at(0);
        long boundNanos = ONE_SECOND.toNanos();
        checker.readCompleted(ack + boundNanos, 1, 0, "r", "exactly-at-bound");
        checker.readCompleted(ack + boundNanos + 1, 1, 0, "r", "one-ns-past-bound");

        StalenessReport report = checker.report(ONE_SECOND);

        // Staleness equal to the bound is within the bound; only strictly more violates it.
        assertThat(report.staleReads()).containsExactly(new StalenessReport.StaleRead(
                ack + boundNanos + 1, 1, 0, 1, "r", "one-ns-past-bound", ONE_SECOND.plusNanos(1)));
        assertThat(report.maxStaleness()).isEqualTo(ONE_SECOND.plusNanos(1));
    }

    @Test
    void aReadThatBeganBeforeTheWriteWasAcknowledgedMissedNothing() {
        ackAt(1_000, 1, 1, "w");
        checker.readCompleted(at(1_000), 1, 0, "w", null); // began at the very instant: not before
        checker.readCompleted(at(500), 1, 0, "w", null);

        StalenessReport report = checker.report(Duration.ZERO);

        assertThat(report.isClean()).isTrue();
        assertThat(report.maxStaleness()).isEqualTo(Duration.ZERO);
    }

    @Test
    void aZeroBoundFlagsAnyMissedEarlierWrite() {
        ackAt(0, 1, 1, "w");
        checker.readCompleted(at(0) + 1, 1, 0, "r", null);
        checker.readCompleted(at(0) + 1, 1, 1, "r", null);

        StalenessReport report = checker.report(Duration.ZERO);

        assertThat(report.staleReads()).containsExactly(
                new StalenessReport.StaleRead(at(0) + 1, 1, 0, 1, "r", null, Duration.ofNanos(1)));
    }

    @Test
    void aSessionMissingItsOwnWriteViolatesReadYourWritesEvenWithinTheBound() {
        ackAt(0, 1, 1, "alice");
        ackAt(10, 1, 2, "bob");
        checker.readCompleted(at(20), 1, 0, "alice", "standby-1"); // misses her seq 1: violation
        checker.readCompleted(at(20), 1, 1, "alice", "standby-1"); // misses bob's seq 2: within bound, fine
        checker.readCompleted(at(20), 1, 0, "carol", "standby-1"); // wrote nothing: within bound, fine
        checker.readCompleted(at(20), 1, 1, "bob", "standby-2");   // misses his seq 2: violation

        StalenessReport report = checker.report(ONE_SECOND);

        assertThat(report.isClean()).isFalse();
        assertThat(report.staleReads()).isEmpty();
        assertThat(report.readYourWritesViolations()).containsExactly(
                new StalenessReport.ReadYourWritesViolation(at(20), 1, 0, 1, "alice", "standby-1"),
                new StalenessReport.ReadYourWritesViolation(at(20), 1, 1, 2, "bob", "standby-2"));
        assertThat(report.maxStaleness()).isEqualTo(Duration.ofMillis(20));
    }

    @Test
    void aSessionsReadStartedRightAfterItsWriteOnAStandingClockStillCountsAsAfterIt() {
        // The clock does not move: now() must still order the write before the read.
        checker.writeAcknowledged(1, 1, "alice");
        long start = checker.now();
        checker.readCompleted(start, 1, 0, "alice", "standby-1");

        StalenessReport report = checker.report(ONE_SECOND);

        assertThat(report.readYourWritesViolations()).containsExactly(
                new StalenessReport.ReadYourWritesViolation(start, 1, 0, 1, "alice", "standby-1"));
    }

    @Test
    void nowIsStrictlyIncreasingEvenWhenTheClockStandsStillOrGoesBack() {
        long a = checker.now();
        long b = checker.now();
        clock.addAndGet(-5 * MS);
        long c = checker.now();
        clock.addAndGet(10 * MS);
        long d = checker.now();

        assertThat(a).isEqualTo(at(0));
        assertThat(b).isEqualTo(at(0) + 1);
        assertThat(c).isEqualTo(at(0) + 2);
        assertThat(d).isEqualTo(at(5));
    }

    @Test
    void keysDoNotInterfere() {
        ackAt(0, 1, 5, "w");
        ackAt(0 + 1, 2, 1, "w");
        checker.readCompleted(at(5_000), 1, 5, "w", null); // up to date on key 1
        checker.readCompleted(at(5_000), 3, 0, "w", null); // key 3 never written
        checker.readCompleted(at(5_000), 2, 0, "w", null); // stale on key 2 only

        StalenessReport report = checker.report(ONE_SECOND);

        assertThat(report.readsChecked()).isEqualTo(3);
        assertThat(report.writesRecorded()).isEqualTo(2);
        assertThat(report.staleReads()).extracting(StalenessReport.StaleRead::key).containsExactly(2L);
        assertThat(report.readYourWritesViolations()).extracting(StalenessReport.ReadYourWritesViolation::key)
                .containsExactly(2L);
    }

    @Test
    void aSequenceThatDoesNotIncreaseIsRejectedNamingKeyAndBothSeqs() {
        checker.writeAcknowledged(9, 4, "w");

        assertThatThrownBy(() -> checker.writeAcknowledged(9, 4, "w"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key 9").hasMessageContaining("seq 4").hasMessageContaining("seq 4 ");
        assertThatThrownBy(() -> checker.writeAcknowledged(9, 3, "w"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key 9").hasMessageContaining("seq 3").hasMessageContaining("seq 4");
        assertThatThrownBy(() -> checker.writeAcknowledged(10, 0, "w"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key 10");
        checker.writeAcknowledged(10, 1, "w"); // another key has its own sequence
        checker.writeAcknowledged(9, 5, "w");

        assertThat(checker.report(ONE_SECOND).writesRecorded()).isEqualTo(3);
    }

    @Test
    void badArgumentsAreRejectedNamingTheValue() {
        assertThatThrownBy(() -> checker.report(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null");
        assertThatThrownBy(() -> checker.report(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-0.005S");
        assertThatThrownBy(() -> checker.readCompleted(0, 1, -1, "r"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> checker.readCompleted(0, 1, 0, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("session");
        assertThatThrownBy(() -> checker.writeAcknowledged(1, 1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("session");
        assertThatThrownBy(() -> new StalenessChecker(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anEnormousBoundDoesNotOverflow() {
        ackAt(0, 1, 1, "w");
        checker.readCompleted(at(1), 1, 0, "r", null);
        checker.readCompleted(Long.MIN_VALUE + 5, 1, 0, "r", null);

        StalenessReport report = checker.report(Duration.ofDays(365L * 1_000_000));

        assertThat(report.staleReads()).isEmpty();
        assertThat(report.maxStaleness()).isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void summaryStatesCountsBoundMaxStalenessAndTheFirstViolations() {
        ackAt(0, 1, 1, "alice");
        checker.readCompleted(at(1_500), 1, 0, "bob", "standby-1");
        checker.readCompleted(at(300), 1, 0, "alice", null);
        checker.readCompleted(at(1_000), 1, 1, "bob", "standby-1");

        assertThat(checker.report(ONE_SECOND).toString()).isEqualTo(
                "staleness: 3 reads, 1 writes, bound 1000 ms, 1 stale, 1 read-your-writes violations,"
                        + " max staleness 1500 ms"
                        + " | stale: key 1 saw 0 needed 1 (session bob, node standby-1, 1500 ms stale)"
                        + " | read-your-writes: key 1 saw 0 after writing 1 (session alice, node ?)");
        assertThat(checker.report(Duration.ofMillis(2_000)).summary()).isEqualTo(
                "staleness: 3 reads, 1 writes, bound 2000 ms, 0 stale, 1 read-your-writes violations,"
                        + " max staleness 1500 ms"
                        + " | read-your-writes: key 1 saw 0 after writing 1 (session alice, node ?)");
        assertThat(StalenessReport.millis(Duration.ofNanos(1_500_001))).isEqualTo("1.500001 ms");
        assertThat(StalenessReport.millis(Duration.ZERO)).isEqualTo("0 ms");
    }

    @Test
    void concurrentRecordingFromManyThreadsCountsEveryReadAndViolation() throws Exception {
        // A clock that ticks on every reading, shared by all threads, like a real one.
        AtomicLong ticking = new AtomicLong();
        StalenessChecker shared = new StalenessChecker(ticking::incrementAndGet);
        int threads = 4;
        int perThread = 10_000;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long key = t; // one writer per key
                String session = "session-" + t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 1; i <= perThread; i++) {
                        shared.writeAcknowledged(key, i, session);
                        long readStart = shared.now();
                        // Every 10th read misses the write just made by the same session.
                        long seen = i % 10 == 0 ? i - 1 : i;
                        shared.readCompleted(readStart, key, seen, session, "node-" + (i % 3));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        StalenessReport lenient = shared.report(Duration.ofDays(1));
        StalenessReport strict = shared.report(Duration.ZERO);

        assertThat(lenient.readsChecked()).isEqualTo(40_000);
        assertThat(lenient.writesRecorded()).isEqualTo(40_000);
        assertThat(lenient.staleReads()).isEmpty();
        assertThat(lenient.readYourWritesViolations()).hasSize(4_000);
        assertThat(lenient.readYourWritesViolations())
                .allSatisfy(v -> assertThat(v.requiredSeq()).isEqualTo(v.seenSeq() + 1));
        assertThat(strict.staleReads()).hasSize(4_000);
        assertThat(strict.readYourWritesViolations()).hasSize(4_000);
        assertThat(strict.staleReads())
                .allSatisfy(r -> assertThat(r.staleness()).isPositive());
    }

    @Test
    void aMillionReadsAreJudgedQuickly() {
        AtomicLong ticking = new AtomicLong();
        StalenessChecker big = new StalenessChecker(ticking::incrementAndGet);
        int keys = 1_000;
        for (int seq = 1; seq <= 100; seq++) {
            for (int key = 0; key < keys; key++) {
                big.writeAcknowledged(key, seq, "w" + key);
            }
        }
        long end = big.now();
        for (int i = 0; i < 1_000_000; i++) {
            // Every read sees seq 99 of 100, missing the last write.
            big.readCompleted(end + i, i % keys, 99, "reader", null);
        }

        long t0 = System.nanoTime();
        StalenessReport report = big.report(Duration.ofNanos(keys));
        long elapsedMs = (System.nanoTime() - t0) / MS;

        assertThat(report.readsChecked()).isEqualTo(1_000_000);
        assertThat(report.writesRecorded()).isEqualTo(100_000);
        // The last round of writes was acknowledged at ticks end-1000 .. end-1; a read at end + i
        // is stale with bound 1000 ns when its key's last write is more than 1000 ticks old.
        long expectedStale = 0;
        for (int i = 0; i < 1_000_000; i++) {
            long ack = end - keys + (i % keys);
            if (end + i - ack > keys) {
                expectedStale++;
            }
        }
        assertThat(report.staleReads()).hasSize((int) expectedStale);
        assertThat(elapsedMs).as("report took %d ms", elapsedMs).isLessThan(30_000); // generous: only catches a quadratic algorithm (hours), not a busy machine
    }

    @Test
    void reportAndForgetJudgesOnceAndKeepsWhatLaterReadsNeed() {
        ackAt(0, 1, 1, "writer");
        ackAt(100, 1, 2, "writer");
        ackAt(900, 1, 3, "writer");
        checker.readCompleted(at(950), 1, 0, "reader", "standby-1");
        clock.set(at(1_500));

        StalenessReport first = checker.reportAndForget(ONE_SECOND);

        assertThat(first.readsChecked()).isEqualTo(1);
        assertThat(first.isClean()).isTrue();
        // Seq 1 (acknowledged at 0, before 1500 - 1000) is superseded by seq 2, which every later
        // read needs too; seq 2 and 3 stay.
        checker.readCompleted(at(1_600), 1, 1, "reader", "standby-1");  // misses seq 2, 1500 ms old
        checker.readCompleted(at(1_700), 1, 2, "reader", "standby-1");  // misses seq 3, 800 ms old: fine
        checker.readCompleted(at(2_000), 1, 2, "reader", "standby-2");  // misses seq 3, 1100 ms old

        StalenessReport second = checker.reportAndForget(ONE_SECOND);

        assertThat(second.readsChecked()).isEqualTo(3);
        assertThat(second.writesRecorded()).isEqualTo(2);
        assertThat(second.staleReads()).extracting(StalenessReport.StaleRead::node)
                .containsExactly("standby-1", "standby-2");
        assertThat(second.staleReads()).extracting(StalenessReport.StaleRead::requiredSeq).containsExactly(2L, 3L);
        assertThat(checker.report(ONE_SECOND).readsChecked()).isZero();
    }

    @Test
    void reportAndForgetKeepsEachSessionsLastWriteForReadYourWrites() {
        ackAt(0, 1, 1, "nurse");
        ackAt(10, 1, 2, "clerk");
        clock.set(at(5_000));
        checker.reportAndForget(ONE_SECOND);
        // The nurse's own write is 5 s old and superseded by the clerk's, but still hers.
        checker.readCompleted(at(5_100), 1, 0, "nurse", "standby-1");

        StalenessReport report = checker.reportAndForget(ONE_SECOND);

        assertThat(report.readYourWritesViolations()).containsExactly(
                new StalenessReport.ReadYourWritesViolation(at(5_100), 1, 0, 1, "nurse", "standby-1"));
        assertThat(report.staleReads()).hasSize(1);
    }

    @Test
    void reportAndForgetLetsGoOfOldWrites() {
        for (int seq = 1; seq <= 1_000; seq++) {
            ackAt(seq, 7, seq, "writer");
        }
        clock.set(at(10_000));

        checker.reportAndForget(ONE_SECOND);

        assertThat(checker.report(ONE_SECOND).writesRecorded()).isEqualTo(1);
        checker.readCompleted(at(10_001), 7, 999, "reader", null);
        assertThat(checker.report(ONE_SECOND).staleReads()).extracting(StalenessReport.StaleRead::requiredSeq)
                .containsExactly(1_000L);
    }
}
