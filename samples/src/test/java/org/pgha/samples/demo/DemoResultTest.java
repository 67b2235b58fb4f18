package org.pgha.samples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The read gap the demo reports for each failover. */
class DemoResultTest {

    @Test
    void theLongestGapCountsTheWindowsEndsAndIgnoresWhatLiesOutside() {
        long[] reads = {1, 5, 10, 12, 30, 31, 100};
        assertThat(DemoResult.longestGap(reads, 4, 40)).as("12 to 30").isEqualTo(18);
        assertThat(DemoResult.longestGap(reads, 4, 60)).as("31 to the end of the window").isEqualTo(29);
        assertThat(DemoResult.longestGap(reads, 0, 11)).as("from 5 to 10").isEqualTo(5);
        assertThat(DemoResult.longestGap(new long[0], 3, 8)).as("no read at all").isEqualTo(5);
    }
}
