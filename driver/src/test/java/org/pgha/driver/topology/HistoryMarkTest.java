package org.pgha.driver.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pgha.driver.LoadBalance;
import org.pgha.driver.ReadFallback;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.routing.ReadConsistency;
import org.pgha.driver.routing.Router;
import org.pgha.driver.routing.RoutingIntent;

/** The history check of the write target: a primary lacking a newer history's writes is refused. */
class HistoryMarkTest {

    private static final HostSpec A = new HostSpec("db-a", 5432);
    private static final HostSpec B = new HostSpec("db-b", 5432);

    private static NodeState primary(HostSpec host, int timeline, long lsn) {
        return new NodeState(host, NodeRole.PRIMARY, true, lsn, timeline, 1, 0, null, false);
    }

    private static NodeState down(NodeState n) {
        return new NodeState(n.host(), n.role(), false, n.lsn(), n.timeline(), n.probeSentAtNanos(), 3, "gone", false);
    }

    @Test
    void aMarkAdvancesWithTheTimelineAndTheFlushedPositionAndNeverGoesBack() {
        HistoryMark mark = HistoryMark.advance(null, primary(A, 7, 120), 100);
        assertThat(mark).isEqualTo(new HistoryMark(A, 7, 100, 100));
        HistoryMark later = HistoryMark.advance(mark, primary(A, 7, 260), 250);
        assertThat(later).isEqualTo(new HistoryMark(A, 7, 100, 250));
        assertThat(HistoryMark.advance(later, primary(A, 7, 260), 200)).as("a lower position adds nothing").isSameAs(later);
        assertThat(HistoryMark.advance(later, primary(A, 7, 300), -1)).as("an unknown position adds nothing").isSameAs(later);
        HistoryMark promoted = HistoryMark.advance(later, primary(B, 8, 270), 260);
        assertThat(promoted).isEqualTo(new HistoryMark(B, 8, 260, 260));
        assertThat(HistoryMark.advance(promoted, primary(A, 7, 900), 900)).as("an older timeline adds nothing").isSameAs(promoted);
        assertThat(HistoryMark.advance(promoted, primary(B, 0, 900), 900)).as("an unknown timeline adds nothing").isSameAs(promoted);
    }

    @Test
    void theNodeThatSetTheMarkIsNeverBehindOnItsOwnTimeline() {
        // Its sampled positions can step back by a few bytes between probes, and WAL it had not
        // flushed before its host crashed held nothing acknowledged.
        HistoryMark mark = HistoryMark.advance(null, primary(A, 7, 300), 250);
        assertThat(mark.isAhead(primary(A, 7, 240))).isFalse();
        assertThat(mark.isAhead(primary(B, 7, 240))).as("another node behind on the same timeline").isTrue();
        assertThat(mark.isAhead(primary(B, 7, 250))).isFalse();
        assertThat(mark.isAhead(primary(A, 6, 900))).as("an older timeline, whoever it is").isTrue();
    }

    @Test
    void anOlderTimelineOrALowerPositionOnTheSameTimelineIsBehind() {
        HistoryMark mark = new HistoryMark(B, 8, 260, 500);
        assertThat(mark.isAhead(primary(A, 7, 10_000))).isTrue();
        assertThat(mark.isAhead(primary(A, 8, 400))).isTrue();
        assertThat(mark.isAhead(primary(A, 8, 500))).isFalse();
        assertThat(mark.isAhead(primary(B, 8, 400))).as("the mark's own node").isFalse();
        assertThat(mark.isAhead(primary(A, 9, 10))).isFalse();
        assertThat(mark.isAhead(primary(A, 0, 10))).as("unknown timeline: not judged").isFalse();
    }

    @Test
    void theOnlyPrimaryOnAnOlderTimelineIsDivergedAndNamesWhatMayBeLost() {
        HistoryMark mark = new HistoryMark(B, 8, 0x3000000L, 0x4A00000L);
        NodeState old = primary(A, 7, 0x5000000L);
        WriteTarget target = WriteTarget.of(List.of(old, down(primary(B, 8, 0x4A00000L))), mark);
        assertThat(target.status()).isEqualTo(WriteTarget.Status.DIVERGED);
        assertThat(target.isOk()).isFalse();
        assertThat(target.behind()).isEqualTo(old);
        assertThat(target.conflicting()).isEmpty();
        assertThat(mark.describe(old)).contains("timeline 7", "timeline 8", "0/3000000", "0/4A00000", "db-b:5432",
                "db-a:5432", "may be lost");
        assertThat(target.toString()).startsWith("DIVERGED db-a:5432 timeline 7");
    }

    @Test
    void afterTheOlderHistoryWasAcceptedTheAbandonedOneBackIsDivergedInTurn() {
        HistoryMark newer = new HistoryMark(B, 8, 100, 500);
        NodeState old = primary(A, 7, 900);
        HistoryMark accepted = newer.accept(old);
        assertThat(accepted.isAhead(old)).isFalse();
        NodeState back = primary(B, 8, 500);
        WriteTarget target = WriteTarget.of(List.of(old, back), accepted);
        assertThat(target.status()).as("the highest timeline is the abandoned history").isEqualTo(WriteTarget.Status.DIVERGED);
        assertThat(target.behind()).isEqualTo(back);
        assertThat(accepted.describe(back)).contains("given up", "db-a:5432", "timeline 7", "may be lost");
        // Writes on the accepted history keep the abandoned one in mind; a newer timeline past it forgets it.
        HistoryMark later = HistoryMark.advance(accepted, primary(A, 7, 950), 950);
        assertThat(later.abandoned()).isEqualTo(accepted.abandoned());
        HistoryMark promoted = HistoryMark.advance(later, primary(B, 9, 1000), 1000);
        assertThat(promoted.abandoned()).isNull();
        assertThat(promoted.isAhead(primary(B, 9, 1000))).isFalse();
    }

    @Test
    void theNewerPrimaryBackUpIsTheTargetAgain() {
        HistoryMark mark = new HistoryMark(B, 8, 100, 500);
        WriteTarget target = WriteTarget.of(List.of(primary(A, 7, 900), primary(B, 8, 500)), mark);
        assertThat(target.status()).isEqualTo(WriteTarget.Status.OK);
        assertThat(target.node().host()).isEqualTo(B);
        assertThat(WriteTarget.of(List.of(primary(A, 7, 900)), null).isOk()).as("no mark: no check").isTrue();
    }

    @Test
    void aTopologyCarriesItsMarkAndRoutingRefusesWritesAndReads() throws Exception {
        HistoryMark mark = new HistoryMark(B, 8, 100, 500);
        Topology topology = Topology.builder(List.of(A, B)).node(primary(A, 7, 900)).historyMark(mark).build();
        assertThat(topology.historyMark()).isEqualTo(mark);
        assertThat(topology.toBuilder().build().writeTarget().status()).isEqualTo(WriteTarget.Status.DIVERGED);
        Router router = new Router(LoadBalance.ROUND_ROBIN, ReadFallback.PRIMARY, java.time.Duration.ofSeconds(2),
                java.util.OptionalLong.empty(), new java.util.Random(1));
        for (RoutingIntent intent : RoutingIntent.values()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> router.choose(intent, topology, 2, ReadConsistency.NONE))
                    .isInstanceOf(org.pgha.driver.HistoryDivergedException.class)
                    .hasMessageContaining("timeline 7").hasMessageContaining("timeline 8")
                    .hasMessageContaining("acceptDivergedHistory()")
                    .satisfies(e -> assertThat(((java.sql.SQLException) e).getSQLState()).isEqualTo("08R05"));
        }
    }
}
