package org.pgha.driver.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pgha.driver.config.HostSpec;

class SyncWitnessesTest {

    private static final HostSpec S1 = new HostSpec("s1", 5432);
    private static final HostSpec S2 = new HostSpec("s2", 5432);
    private static final int TL = 3;

    private static ProbeResult standby(long received, String name, int timeline) {
        return new ProbeResult(false, received - 10, timeline, 42, -1, 1, received, name, null, List.of());
    }

    private static ProbeResult standby(long received, String name) {
        return standby(received, name, TL);
    }

    /** s1 named "node2", s2 named "node3", both probed once. */
    private static SyncWitnesses named() {
        SyncWitnesses w = new SyncWitnesses();
        w.probed(S1, true, 10, standby(100, "node2"), TL);
        w.probed(S2, true, 11, standby(100, "node3"), TL);
        return w;
    }

    @Test
    void aStandbyWitnessesFromTheSecondConfirmingPrimarySampleWhichSetsTheAnchor() {
        SyncWitnesses w = named();
        w.primarySample(150, "on", List.of("node2"));
        w.probed(S1, true, 20, standby(160, "node2"), TL);
        assertThat(w.active()).as("one confirmation is not enough: commits acknowledged just before may be missing")
                .isEmpty();
        w.primarySample(170, "on", List.of("node2"));
        w.probed(S1, true, 30, standby(180, "node2"), TL);
        List<SyncWitness> active = w.active();
        assertThat(active).hasSize(1);
        SyncWitness s1 = active.get(0);
        assertThat(s1.standby()).isEqualTo(S1);
        assertThat(s1.anchorLsn()).isEqualTo(170);
        assertThat(s1.received().latestLsn()).isEqualTo(180);
        assertThat(s1.conservativeLagNanos(180, 35)).isEqualTo(5);
        assertThat(s1.conservativeLagNanos(165, 35)).as("below the anchor").isEqualTo(Long.MAX_VALUE);
        assertThat(s1.covers(180, 25)).isTrue();
        assertThat(s1.covers(180, 30)).as("a sample sent at the acknowledgement does not count").isFalse();
    }

    @Test
    void onlyOnAndRemoteApplyConfirm() {
        for (String weak : new String[] {"remote_write", "local", "off", null}) {
            SyncWitnesses w = named();
            w.primarySample(150, weak, List.of("node2"));
            w.primarySample(170, weak, List.of("node2"));
            w.probed(S1, true, 30, standby(180, "node2"), TL);
            assertThat(w.active()).as("synchronous_commit=%s", weak).isEmpty();
        }
        SyncWitnesses apply = named();
        apply.primarySample(150, "remote_apply", List.of("node2"));
        apply.primarySample(170, "remote_apply", List.of("node2"));
        apply.probed(S1, true, 30, standby(180, "node2"), TL);
        assertThat(apply.active()).extracting(SyncWitness::standby).containsExactly(S1);
    }

    @Test
    void aNameTwoNodesShareOrNoNodeHasConfirmsNobody() {
        SyncWitnesses w = new SyncWitnesses();
        w.probed(S1, true, 10, standby(100, "node2"), TL);
        w.probed(S2, true, 11, standby(100, "node2"), TL);
        w.primarySample(150, "on", List.of("node2", "node9"));
        w.primarySample(170, "on", List.of("node2", "node9"));
        w.probed(S1, true, 30, standby(180, "node2"), TL);
        w.probed(S2, true, 31, standby(180, "node2"), TL);
        assertThat(w.active()).isEmpty();
    }

    @Test
    void aWitnessEndsWhenTheStandbyLeavesTheSyncSetGoesDownGoesBackChangesTimelineOrIsPromoted() {
        assertThat(confirmedThen(w -> w.primarySample(200, "on", List.of("node3")))).as("left the sync set").isEmpty();
        assertThat(confirmedThen(w -> w.primarySample(200, "local", List.of("node2")))).as("setting lowered").isEmpty();
        assertThat(confirmedThen(w -> w.down(S1))).as("down").isEmpty();
        assertThat(confirmedThen(w -> w.probed(S1, true, 40, standby(170, "node2"), TL))).as("went back").isEmpty();
        assertThat(confirmedThen(w -> w.probed(S1, true, 40, standby(190, "node2", TL + 1), TL))).as("timeline").isEmpty();
        assertThat(confirmedThen(w -> w.probed(S1, false, 40, standby(190, "node2"), TL))).as("promoted").isEmpty();
        assertThat(confirmedThen(SyncWitnesses::reset)).as("another primary").isEmpty();
        assertThat(confirmedThen(w -> w.probed(S1, true, 40, standby(-1, "node2"), TL))).as("nothing received").isEmpty();
        // And what keeps it: the primary not answering, or another confirming sample.
        assertThat(confirmedThen(w -> { })).hasSize(1);
        assertThat(confirmedThen(w -> w.primarySample(200, "on", List.of("node2"))))
                .singleElement().satisfies(s -> assertThat(s.anchorLsn()).as("the anchor stays the first").isEqualTo(170));
    }

    @Test
    void untrustedWitnessesAreTrackedButNotUsedUntilTrustedAgain() {
        SyncWitnesses w = new SyncWitnesses(false);
        w.probed(S1, true, 10, standby(100, "node2"), TL);
        w.primarySample(150, "on", List.of("node2"));
        w.primarySample(170, "on", List.of("node2"));
        w.probed(S1, true, 30, standby(180, "node2"), TL);
        assertThat(w.active()).as("not trusted").isEmpty();
        assertThat(w.trust(true)).isTrue();
        assertThat(w.active()).singleElement().satisfies(s -> assertThat(s.anchorLsn()).isEqualTo(170));
        assertThat(w.trust(true)).as("no change").isFalse();
        assertThat(w.trust(false)).isTrue();
        assertThat(w.active()).isEmpty();
    }

    private static List<SyncWitness> confirmedThen(java.util.function.Consumer<SyncWitnesses> change) {
        SyncWitnesses w = named();
        w.primarySample(150, "on", List.of("node2"));
        w.primarySample(170, "on", List.of("node2"));
        w.probed(S1, true, 30, standby(180, "node2"), TL);
        assertThat(w.active()).hasSize(1);
        change.accept(w);
        return w.active();
    }
}
