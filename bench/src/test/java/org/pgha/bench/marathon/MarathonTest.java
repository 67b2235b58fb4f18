package org.pgha.bench.marathon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The marathon's parts that need no database: the schedule, the options, the gaps, the growth allowance. */
class MarathonTest {

    @Test
    void theSameSeedGivesTheSameScheduleAndEveryKindComesFirstOnce() {
        List<PlannedFault> a = PlannedFault.schedule(42, 20, List.of(FaultKind.values()));
        List<PlannedFault> b = PlannedFault.schedule(42, 20, List.of(FaultKind.values()));
        List<PlannedFault> c = PlannedFault.schedule(43, 20, List.of(FaultKind.values()));

        assertThat(a).isEqualTo(b).isNotEqualTo(c).hasSize(20);
        assertThat(EnumSet.copyOf(a.subList(0, FaultKind.values().length).stream().map(PlannedFault::kind).toList()))
                .containsExactlyInAnyOrder(FaultKind.values());
        assertThat(a).extracting(PlannedFault::number).startsWith(1, 2, 3).endsWith(20);
        assertThat(PlannedFault.schedule(42, 3, List.of(FaultKind.CRASH))).extracting(PlannedFault::kind)
                .containsOnly(FaultKind.CRASH);
        assertThatThrownBy(() -> PlannedFault.schedule(1, 0, List.of(FaultKind.CRASH)))
                .hasMessageContaining("at least 1 fault");
    }

    @Test
    void optionsAreParsedAndBadOnesNamed() {
        Marathon.Options o = Marathon.parse(new String[] {"--faults", "7", "--seed", "-3", "--kinds", "crash,double-failover",
                "--max-replica-lag", "2s", "--pgha", "probeInterval=200ms", "--setting", "work_mem=8MB"});
        assertThat(o.faultCount()).isEqualTo(7);
        assertThat(o.seed()).isEqualTo(-3);
        assertThat(o.kinds()).containsExactly(FaultKind.CRASH, FaultKind.DOUBLE_FAILOVER);
        assertThat(o.maxReplicaLag()).isEqualTo(Duration.ofSeconds(2));
        assertThat(o.pgha()).isEqualTo(Map.of("probeInterval", "200ms"));
        assertThat(o.settings()).isEqualTo(Map.of("work_mem", "8MB"));
        assertThat(Marathon.parse(new String[] {"--soak", "30m", "--fault-every", "1m"}).faultCount()).isEqualTo(30);

        assertThatThrownBy(() -> Marathon.parse(new String[] {"--kinds", "crahs"}))
                .hasMessageContaining("unknown fault 'crahs'").hasMessageContaining("crash, hang");
        assertThatThrownBy(() -> Marathon.parse(new String[] {"--soak", "half an hour"})).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> Marathon.parse(new String[] {"--pgha", "maxReplicaLag=5s"}))
                .hasMessageContaining("--max-replica-lag");
        assertThatThrownBy(() -> Marathon.parse(new String[] {"--faults"})).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> Marathon.parse(new String[] {"--faults", "twenty"}))
                .hasMessage("--faults needs a whole number, not twenty");
        assertThatThrownBy(() -> Marathon.parse(new String[] {"--faults", "0"})).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> Marathon.parse(new String[] {"--fautls", "3"})).hasMessageContaining("unknown argument");
    }

    @Test
    void theLongestGapCountsFromTheFaultToTheEndOfTheRound() {
        assertThat(RoundReport.longestGap(List.of(5L, 100L, 130L, 400L, 900L, 2_000L), 100, 1_000)).isEqualTo(500 / 1e9);
        assertThat(RoundReport.longestGap(List.of(110L, 120L), 100, 1_000)).isEqualTo(880 / 1e9);
        assertThat(RoundReport.longestGap(List.of(), 100, 1_000)).isEqualTo(900 / 1e9);
    }

    @Test
    void theSoakFailsOnGrowthBeyondItsAllowance() {
        List<Sample> flat = samples(10, 0);
        assertThat(Growth.check(flat)).isEmpty();
        List<Sample> leaking = samples(10, 8L << 20); // 8 MB more every round
        assertThat(Growth.check(leaking)).singleElement().asString().startsWith("heap after a full collection grew");
        assertThat(Growth.check(samples(5, 0))).singleElement().asString().contains("at least 8");
    }

    private static List<Sample> samples(int count, long heapGrowth) {
        return java.util.stream.IntStream.range(0, count)
                .mapToObj(i -> new Sample((50L << 20) + heapGrowth * i, 40, 0, 8, Map.of("node1", 10)))
                .toList();
    }
}
