package org.pgha.driver.topology;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pgha.driver.ClusterEvent;
import org.pgha.driver.PghaProperty;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's history as the monitor has seen it: the write target's samples, from which
 * replica lag is bounded ({@link PrimaryHistory}), and the newest history a write target had
 * ({@link HistoryMark}), against which a later primary is checked for divergence. Not
 * thread-safe: the monitor calls it under its publishing lock.
 */
final class HistoryKeeper {

    private static final Logger log = LoggerFactory.getLogger(HistoryKeeper.class);

    private final PghaConfig config;
    private final String cluster;
    private final Clock wallClock;
    /** The primary's samples, the node and the timeline they come from. */
    private PrimaryHistory history = PrimaryHistory.empty();
    private HostSpec historyOwner;
    private int historyTimeline;
    /** The synchronous standbys of {@link #historyOwner} and their samples. */
    private final SyncWitnesses witnesses;
    /**
     * Each primary's last flushed WAL position ({@code pg_current_wal_flush_lsn()}), for the
     * history mark: what survives a crash of its host.
     */
    private final Map<HostSpec, Long> flushedLsns = new HashMap<>();
    /** The diverged primary last reported, so that one divergence is one event. */
    private NodeState reportedDivergence;

    HistoryKeeper(PghaConfig config, Clock wallClock) {
        this.config = config;
        this.cluster = config.clusterKey();
        this.wallClock = wallClock;
        // With a topology source that says whether the synchronous set may shrink, the
        // witnesses wait for its word (SyncWitnesses).
        this.witnesses = new SyncWitnesses(config.text(PghaProperty.PATRONI) == null);
    }

    boolean witnessesTrusted() {
        return witnesses.trusted();
    }

    /**
     * Whether the synchronous standbys' samples may bound reads ({@link SyncWitnesses#trust}).
     *
     * @return the next snapshot's builder with the witnesses this leaves, or null if nothing changed
     */
    Topology.Builder trustWitnesses(Topology current, boolean trusted) {
        if (!witnesses.trust(trusted)) {
            return null;
        }
        return current.toBuilder().witnesses(witnesses.active());
    }

    /** A node's last flushed WAL position, as its probe read it. */
    void flushed(HostSpec host, long lsn) {
        flushedLsns.put(host, lsn);
    }

    /**
     * Takes in a successful probe: a sample of the node that takes writes goes to the history
     * and says which standbys are synchronous; a standby's sample goes to its witness, if it has
     * one ({@link SyncWitnesses}).
     */
    Topology probed(Topology next, NodeState node, ProbeResult result) {
        // A node refused as a stranger (another cluster) never witnesses anything.
        boolean replica = node.role() == NodeRole.REPLICA && !next.node(node.host()).map(NodeState::refused).orElse(true);
        witnesses.probed(node.host(), replica, node.probeSentAtNanos(), result, historyTimeline);
        Topology.Builder builder = next.toBuilder();
        if (primarySample(next, node, result)) {
            builder.primaryHistory(historyOwner, historyTimeline, history);
        }
        return builder.witnesses(witnesses.active()).build();
    }

    /** Takes in a failed probe; a node that went DOWN loses its witness. */
    Topology.Builder failed(Topology.Builder next, HostSpec host, boolean down) {
        if (down) {
            witnesses.down(host);
        }
        return next.witnesses(witnesses.active());
    }

    /** Adds a primary's sample to the history when it comes from the node that takes writes; false if it does not. */
    private boolean primarySample(Topology next, NodeState node, ProbeResult result) {
        WriteTarget target = next.writeTarget();
        if (node.role() != NodeRole.PRIMARY || !target.isOk() || !target.node().host().equals(node.host())) {
            return false;
        }
        boolean samePrimary = node.host().equals(historyOwner) && node.timeline() == historyTimeline
                && (history.isEmpty() || node.lsn() >= history.latestLsn());
        if (!samePrimary) {
            // Another primary, another timeline, or a position that went back: start afresh.
            history = PrimaryHistory.empty();
            historyOwner = node.host();
            historyTimeline = node.timeline();
            witnesses.reset();
        }
        if (node.lsn() >= 0 && (history.isEmpty() || node.probeSentAtNanos() - history.latestSentAtNanos() > 0)) {
            history = history.with(node.probeSentAtNanos(), node.lsn());
            witnesses.primarySample(node.lsn(), result.synchronousCommit(), result.syncStandbys());
        }
        return true;
    }


    /**
     * Keeps the newest history a write target had ({@link HistoryMark}) and reports a primary
     * whose history lacks it: an ERROR log line and a {@link ClusterEvent.Type#HISTORY_DIVERGED}
     * event, once per diverged primary and timeline. With {@code followDivergedHistory} the new
     * history is accepted at once; otherwise the write target stays DIVERGED.
     */
    Topology check(Topology next, List<ClusterEvent> events) {
        WriteTarget target = next.writeTarget();
        if (target.status() == WriteTarget.Status.DIVERGED) {
            NodeState behind = target.behind();
            boolean follow = config.flag(PghaProperty.FOLLOW_DIVERGED_HISTORY);
            if (reportedDivergence == null || !reportedDivergence.host().equals(behind.host())
                    || reportedDivergence.timeline() != behind.timeline()) {
                reportedDivergence = behind;
                String detail = target.mark().describe(behind);
                log.error("pgha cluster {}: history diverged: {}. {}", cluster, detail, follow
                        ? "followDivergedHistory=true: writes go to it from now on"
                        : "Writes and reads are refused (SQLState 08R05) until " + target.mark().primary()
                                + " is primary again or the application calls acceptDivergedHistory()");
                events.add(new ClusterEvent(ClusterEvent.Type.HISTORY_DIVERGED, behind.host().toString(), detail,
                        wallClock.instant()));
            }
            if (follow) {
                return next.toBuilder().historyMark(target.mark().accept(behind)).build();
            }
            return next;
        }
        if (target.isOk()) {
            reportedDivergence = null;
            HistoryMark mark = next.historyMark();
            NodeState primary = target.node();
            HistoryMark advanced = HistoryMark.advance(mark, primary, flushedLsns.getOrDefault(primary.host(), Lsn.UNKNOWN));
            if (advanced != mark) {
                return next.toBuilder().historyMark(advanced).build();
            }
        }
        return next;
    }
}
