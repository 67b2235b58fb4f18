package org.pgha.driver.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pgha.driver.config.HostSpec;

class TopologyTest {

    private static final HostSpec A = new HostSpec("db-a", 5432);
    private static final HostSpec B = new HostSpec("db-b", 5432);
    private static final HostSpec C = new HostSpec("db-c", 5433);
    private static final List<HostSpec> SEEDS = List.of(A, B, C);

    private static NodeState primary(HostSpec host, int timeline) {
        return NodeState.probed(host, NodeRole.PRIMARY, 0x3000060L, timeline, 0);
    }

    private static NodeState replica(HostSpec host, int timeline) {
        return NodeState.probed(host, NodeRole.REPLICA, 0x3000000L, timeline, 0);
    }

    private static Topology of(NodeState... states) {
        Topology.Builder builder = Topology.builder(SEEDS);
        for (NodeState s : states) {
            builder.node(s);
        }
        return builder.build();
    }

    @Test
    void initialTopologyKnowsNothingAndHasNoPrimary() {
        Topology initial = Topology.initial(SEEDS);
        assertThat(initial.nodes()).extracting(NodeState::host).containsExactly(A, B, C);
        assertThat(initial.nodes()).allSatisfy(n -> {
            assertThat(n.role()).isEqualTo(NodeRole.UNKNOWN);
            assertThat(n.up()).isFalse();
        });
        assertThat(initial.writeTarget().status()).isEqualTo(WriteTarget.Status.NO_PRIMARY);
        assertThat(initial.replicas()).isEmpty();
        assertThat(initial.primaryHistory().isEmpty()).isTrue();
        assertThatThrownBy(() -> initial.writeTarget().node()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void onlyReplicasMeansNoPrimary() {
        Topology t = of(replica(A, 2), replica(B, 2));
        assertThat(t.writeTarget().status()).isEqualTo(WriteTarget.Status.NO_PRIMARY);
        assertThat(t.writeTarget().isOk()).isFalse();
    }

    @Test
    void onePrimaryIsTheWriteTarget() {
        Topology t = of(replica(A, 2), primary(B, 2), replica(C, 2));
        assertThat(t.writeTarget().status()).isEqualTo(WriteTarget.Status.OK);
        assertThat(t.writeTarget().node().host()).isEqualTo(B);
        assertThat(t.writeTarget().conflicting()).isEmpty();
    }

    @Test
    void ofTwoPrimariesTheOneOnTheHigherTimelineWins() {
        Topology t = of(primary(A, 3), primary(B, 2), replica(C, 3));
        assertThat(t.writeTarget().node().host()).isEqualTo(A);
        Topology reversed = of(primary(A, 2), primary(B, 3));
        assertThat(reversed.writeTarget().node().host()).isEqualTo(B);
    }

    @Test
    void twoPrimariesOnTheHighestTimelineAreSplitBrain() {
        Topology t = of(primary(A, 3), primary(B, 2), primary(C, 3));
        assertThat(t.writeTarget().status()).isEqualTo(WriteTarget.Status.SPLIT_BRAIN);
        assertThat(t.writeTarget().conflicting()).extracting(NodeState::host).containsExactly(A, C);
        assertThatThrownBy(() -> t.writeTarget().node()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aPrimaryOnUnknownTimelineBesideAnotherCannotBeRankedSoItIsSplitBrain() {
        Topology t = of(primary(A, 0), primary(B, 3));
        assertThat(t.writeTarget().status()).isEqualTo(WriteTarget.Status.SPLIT_BRAIN);
        assertThat(t.writeTarget().conflicting()).extracting(NodeState::host).containsExactly(A, B);
    }

    @Test
    void downOrRefusedPrimariesAreIgnored() {
        Topology down = of(primary(A, 3).withUp(false), primary(B, 3));
        assertThat(down.writeTarget().node().host()).isEqualTo(B);

        Topology refused = of(primary(A, 4).withRefused(true), primary(B, 3));
        assertThat(refused.writeTarget().node().host()).as("a refused node wins nothing, even on a higher timeline")
                .isEqualTo(B);

        Topology none = of(primary(A, 3).withUp(false), primary(B, 3).withRefused(true), replica(C, 3));
        assertThat(none.writeTarget().status()).isEqualTo(WriteTarget.Status.NO_PRIMARY);
    }

    @Test
    void replicasAreTheUpUnrefusedReplicasInSeedOrder() {
        Topology t = of(replica(A, 2), primary(B, 2), replica(C, 2));
        assertThat(t.replicas()).extracting(NodeState::host).containsExactly(A, C);
        Topology fewer = t.withNode(replica(A, 2).withUp(false)).withNode(replica(C, 2).withRefused(true));
        assertThat(fewer.replicas()).isEmpty();
        assertThat(t.replicas()).as("the older snapshot is unchanged").hasSize(2);
    }

    @Test
    void nodesAreFoundByHostAndOnlySeedsCanBeReplaced() {
        Topology t = of(primary(A, 1));
        assertThat(t.node(A)).hasValueSatisfying(n -> assertThat(n.role()).isEqualTo(NodeRole.PRIMARY));
        assertThat(t.node(new HostSpec("elsewhere", 5432))).isEmpty();
        assertThatThrownBy(() -> t.withNode(primary(new HostSpec("elsewhere", 5432), 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("elsewhere:5432");
        assertThatThrownBy(() -> Topology.initial(List.of(A, B, A))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Topology.initial(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theHistoryCountsOnlyForThePrimaryAndTimelineItWasSampledOn() {
        PrimaryHistory samples = PrimaryHistory.empty().with(100, 1000);
        Topology.Builder builder = Topology.builder(SEEDS).node(primary(A, 2)).node(replica(B, 2));

        assertThat(builder.primaryHistory(A, 2, samples).build().primaryHistory()).isSameAs(samples);
        assertThat(builder.primaryHistory(B, 2, samples).build().primaryHistory().isEmpty())
                .as("sampled on another node").isTrue();
        assertThat(builder.primaryHistory(A, 1, samples).build().primaryHistory().isEmpty())
                .as("sampled on an earlier timeline").isTrue();

        Topology current = builder.primaryHistory(A, 2, samples).build();
        Topology failedOver = current.withNode(primary(A, 2).withUp(false)).withNode(primary(B, 3));
        assertThat(failedOver.writeTarget().node().host()).isEqualTo(B);
        assertThat(failedOver.primaryHistory().isEmpty()).as("the old primary's history is not the new one's")
                .isTrue();

        Topology splitBrain = current.withNode(primary(B, 2));
        assertThat(splitBrain.primaryHistory().isEmpty()).isTrue();
        assertThat(current.toBuilder().noPrimaryHistory().build().primaryHistory().isEmpty()).isTrue();
    }

    @Test
    void toStringShowsOneLinePerNodeWithPostgresLsnText() {
        Topology t = Topology.builder(SEEDS)
                .node(NodeState.probed(A, NodeRole.PRIMARY, 0x16B374D848L, 7, 0))
                .node(replica(B, 7))
                .node(NodeState.unknown(C).withFailure("Connection refused", false))
                .takenAtNanos(42)
                .build();
        String[] lines = t.toString().split("\n");
        assertThat(lines).hasSize(4);
        assertThat(lines[0]).contains("42").contains("OK db-a:5432 timeline 7");
        assertThat(lines[1]).contains("db-a:5432 PRIMARY up lsn 16/B374D848 timeline 7");
        assertThat(lines[2]).contains("db-b:5432 REPLICA up lsn 0/3000000 timeline 7");
        assertThat(lines[3]).contains("db-c:5433 UNKNOWN down lsn unknown timeline unknown")
                .contains("Connection refused");
    }

    @Test
    void nodeStateRejectsImpossibleValues() {
        assertThatThrownBy(() -> new NodeState(A, NodeRole.REPLICA, true, -2, 1, 0, 0, null, false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NodeState(A, NodeRole.REPLICA, true, 0, -1, 0, 0, null, false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NodeState(A, null, true, 0, 1, 0, 0, null, false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(NodeState.unknown(A).probeSentAtNanos()).isEqualTo(NodeState.NEVER);
    }
}
