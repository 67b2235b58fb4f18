package org.pgha.driver.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class PrimaryHistoryTest {

    private static long ms(long millis) {
        return millis * 1_000_000L;
    }

    /** Samples at 100, 200, 300 ms with LSNs 1000, 2000, 3000. */
    private static PrimaryHistory threeSamples() {
        return PrimaryHistory.empty().with(ms(100), 1000).with(ms(200), 2000).with(ms(300), 3000);
    }

    @Test
    void replicaExactlyAtASampleHoldsEverythingAcknowledgedBeforeThatSample() {
        assertThat(threeSamples().conservativeLagNanos(2000, ms(350))).isEqualTo(ms(350 - 200));
        assertThat(threeSamples().conservativeLagNanos(1000, ms(350))).isEqualTo(ms(350 - 100));
    }

    @Test
    void replicaBetweenSamplesIsJudgedByTheSampleBelowIt() {
        // 2999 has not reached the 300 ms sample (3000): only the 200 ms one is known to be held.
        assertThat(threeSamples().conservativeLagNanos(2999, ms(350))).isEqualTo(ms(150));
        assertThat(threeSamples().conservativeLagNanos(2001, ms(350))).isEqualTo(ms(150));
    }

    @Test
    void replicaAtOrAheadOfTheLatestSampleLagsByTheTimeSinceThatSample() {
        assertThat(threeSamples().conservativeLagNanos(3000, ms(350))).isEqualTo(ms(50));
        assertThat(threeSamples().conservativeLagNanos(1_000_000, ms(350))).isEqualTo(ms(50));
    }

    @Test
    void replicaBehindEverySampleHasUnknownLag() {
        assertThat(threeSamples().conservativeLagNanos(999, ms(350))).isEqualTo(Long.MAX_VALUE);
        assertThat(threeSamples().conservativeLagNanos(0, ms(350))).isEqualTo(Long.MAX_VALUE);
        assertThat(threeSamples().conservativeLagNanos(Lsn.UNKNOWN, ms(350))).isEqualTo(Long.MAX_VALUE);
        assertThat(PrimaryHistory.empty().conservativeLagNanos(5000, ms(350))).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void anIdlePrimaryRepeatingItsLsnLetsACaughtUpReplicaTakeTheLatestSample() {
        PrimaryHistory idle = PrimaryHistory.empty().with(ms(100), 5000).with(ms(200), 5000).with(ms(300), 5000);
        assertThat(idle.conservativeLagNanos(5000, ms(310))).isEqualTo(ms(10));
        assertThat(idle.covers(5000, ms(250))).isTrue();
    }

    @Test
    void aSampleNewerThanTheCallersClockGivesZeroNotANegativeLag() {
        assertThat(threeSamples().conservativeLagNanos(3000, ms(290))).isZero();
    }

    @Test
    void timesAreComparedByDifferenceSoTheClockMayWrapAround() {
        long start = Long.MAX_VALUE - ms(150);
        PrimaryHistory wrapping = PrimaryHistory.empty().with(start, 1000).with(start + ms(100), 2000)
                .with(start + ms(200), 3000); // this one wraps to a negative long
        assertThat(start + ms(200)).isNegative();
        assertThat(wrapping.conservativeLagNanos(2500, start + ms(250))).isEqualTo(ms(150));
        assertThat(wrapping.covers(3000, start + ms(150))).isTrue();
        assertThat(wrapping.covers(2500, start + ms(150))).isFalse();
        assertThat(wrapping.lsnSentAfter(start + ms(150))).hasValue(3000);
    }

    @Test
    void retentionDropsOldSamplesAndTheirReplicasBecomeUnknownNeverFresher() {
        PrimaryHistory history = PrimaryHistory.empty(256, Duration.ofMillis(1000));
        for (int k = 0; k <= 10; k++) {
            history = history.with(ms(200 * k), 1000L * k); // 0..2000 ms, LSN 0..10000
        }
        // Kept: sent at most 1000 ms before the newest (2000 ms), so 1000..2000 ms: six samples.
        assertThat(history.size()).isEqualTo(6);
        assertThat(history.conservativeLagNanos(5000, ms(2100))).isEqualTo(ms(2100 - 1000));
        assertThat(history.conservativeLagNanos(4999, ms(2100))).isEqualTo(Long.MAX_VALUE);
        assertThat(history.lsnSentAfter(0)).hasValue(5000);
    }

    @Test
    void theSampleCountLimitKeepsTheNewest() {
        PrimaryHistory history = PrimaryHistory.empty(3, Duration.ofHours(1));
        for (int k = 1; k <= 5; k++) {
            history = history.with(ms(100 * k), 1000L * k);
        }
        assertThat(history.size()).isEqualTo(3);
        assertThat(history.conservativeLagNanos(2999, ms(600))).isEqualTo(Long.MAX_VALUE);
        assertThat(history.conservativeLagNanos(3000, ms(600))).isEqualTo(ms(300));
        assertThat(history.latestLsn()).isEqualTo(5000);
        assertThat(history.latestSentAtNanos()).isEqualTo(ms(500));
    }

    @Test
    void coversNeedsASampleSentStrictlyAfterTheWriteAndHeldByTheReplica() {
        PrimaryHistory history = threeSamples();
        assertThat(history.covers(2000, ms(200) - 1)).isTrue();
        assertThat(history.covers(2000, ms(200))).as("a sample sent at the very ack time does not count").isFalse();
        assertThat(history.covers(1999, ms(150))).as("the 200 ms sample is above the replica").isFalse();
        assertThat(history.covers(3000, ms(299))).isTrue();
        assertThat(history.covers(Long.MAX_VALUE, ms(300))).as("no sample after the write yet").isFalse();
        assertThat(history.covers(1000, 0)).isTrue();
        assertThat(history.covers(Lsn.UNKNOWN, 0)).isFalse();
        assertThat(PrimaryHistory.empty().covers(1000, 0)).isFalse();
    }

    @Test
    void lsnSentAfterIsTheEarliestSampleStrictlyAfter() {
        PrimaryHistory history = threeSamples();
        assertThat(history.lsnSentAfter(ms(100) - 1)).hasValue(1000);
        assertThat(history.lsnSentAfter(ms(100))).hasValue(2000);
        assertThat(history.lsnSentAfter(ms(250))).hasValue(3000);
        assertThat(history.lsnSentAfter(ms(300))).isEmpty();
        assertThat(PrimaryHistory.empty().lsnSentAfter(0)).isEqualTo(OptionalLong.empty());
    }

    @Test
    void aDecreasingLsnIsAnotherPrimaryAndIsRejected() {
        assertThatThrownBy(() -> threeSamples().with(ms(400), 2999))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0/BB8").hasMessageContaining("0/BB7");
        assertThat(threeSamples().with(ms(400), 3000).size()).isEqualTo(4);
    }

    @Test
    void timeMustIncreaseAndLsnMustBeKnown() {
        assertThatThrownBy(() -> threeSamples().with(ms(300), 4000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> threeSamples().with(ms(250), 4000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PrimaryHistory.empty().with(0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PrimaryHistory.empty(0, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PrimaryHistory.empty(1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void appendingLeavesTheOriginalUnchanged() {
        PrimaryHistory before = threeSamples();
        PrimaryHistory after = before.with(ms(400), 4000);
        assertThat(before.size()).isEqualTo(3);
        assertThat(before.latestLsn()).isEqualTo(3000);
        assertThat(before.conservativeLagNanos(4000, ms(450))).isEqualTo(ms(150));
        assertThat(after.size()).isEqualTo(4);
        assertThat(after.conservativeLagNanos(4000, ms(450))).isEqualTo(ms(50));
    }

    @Test
    void emptyHistoryHasNoLatestSample() {
        assertThat(PrimaryHistory.empty().latestLsn()).isEqualTo(Lsn.UNKNOWN);
        assertThat(PrimaryHistory.empty().size()).isZero();
        assertThatThrownBy(() -> PrimaryHistory.empty().latestSentAtNanos()).isInstanceOf(IllegalStateException.class);
    }
}
