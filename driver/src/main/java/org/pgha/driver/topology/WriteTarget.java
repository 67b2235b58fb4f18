package org.pgha.driver.topology;

import java.util.List;

/**
 * Where writes go in one {@link Topology}, by the split-brain rule: the candidates are the nodes
 * up, not refused, with role PRIMARY. None: {@link Status#NO_PRIMARY}. One: {@link Status#OK}.
 * Several: the unique one on the highest timeline is OK (the others are old primaries that have
 * not noticed their demotion yet); if two or more share the highest timeline, or if any
 * candidate's timeline is unknown so the highest cannot be told, {@link Status#SPLIT_BRAIN}:
 * no writes at all, since either could be the one the cluster manager promoted and a write to
 * the other would be lost or diverge.
 *
 * <p>Immutable. {@link #node()} throws unless OK, so a caller cannot write to a null or to a
 * node the rule rejected by forgetting to check the status.
 */
public final class WriteTarget {

    /** The outcome of the rule. */
    public enum Status {
        /** Exactly one usable primary: {@link #node()}. */
        OK,
        /** No node is up, unrefused and primary. */
        NO_PRIMARY,
        /** Several primaries on the highest timeline: {@link #conflicting()}. */
        SPLIT_BRAIN,
        /**
         * One primary, but its history lacks writes a newer primary took ({@link HistoryMark}):
         * {@link #behind()} is it, {@link #mark()} what it lacks. No writes and no reads until
         * the newer primary is back or the history is accepted.
         */
        DIVERGED
    }

    private static final WriteTarget NO_PRIMARY = new WriteTarget(Status.NO_PRIMARY, null, List.of(), null);

    private final Status status;
    private final NodeState node;
    private final List<NodeState> conflicting;
    private final HistoryMark mark;

    private WriteTarget(Status status, NodeState node, List<NodeState> conflicting, HistoryMark mark) {
        this.status = status;
        this.node = node;
        this.conflicting = conflicting;
        this.mark = mark;
    }

    /**
     * Applies the rule to {@code nodes}, in order; the order only matters for the order of
     * {@link #conflicting()}.
     */
    public static WriteTarget of(List<NodeState> nodes) {
        return of(nodes, null);
    }

    /**
     * The rule, then the history check: the one primary it picks is {@link Status#DIVERGED} if
     * {@code mark} (the newest history a write target had; null for none) is ahead of it.
     */
    public static WriteTarget of(List<NodeState> nodes, HistoryMark mark) {
        WriteTarget target = bySplitBrainRule(nodes);
        if (target.status == Status.OK && mark != null && mark.isAhead(target.node)) {
            return new WriteTarget(Status.DIVERGED, null, List.of(target.node), mark);
        }
        return target;
    }

    private static WriteTarget bySplitBrainRule(List<NodeState> nodes) {
        NodeState best = null;
        int candidates = 0;
        boolean unknownTimeline = false;
        for (NodeState n : nodes) {
            if (!isCandidate(n)) {
                continue;
            }
            candidates++;
            if (n.timeline() == 0) {
                unknownTimeline = true;
            }
            if (best == null || n.timeline() > best.timeline()) {
                best = n;
            }
        }
        if (candidates == 0) {
            return NO_PRIMARY;
        }
        if (candidates == 1) {
            return new WriteTarget(Status.OK, best, List.of(), null);
        }
        int onHighest = 0;
        for (NodeState n : nodes) {
            if (isCandidate(n) && n.timeline() == best.timeline()) {
                onHighest++;
            }
        }
        if (onHighest == 1 && !unknownTimeline) {
            return new WriteTarget(Status.OK, best, List.of(), null);
        }
        // With an unknown timeline among them, every candidate is in conflict: we cannot tell
        // which one is the newest.
        int conflictTimeline = best.timeline();
        NodeState[] conflict = new NodeState[unknownTimeline ? candidates : onHighest];
        int i = 0;
        for (NodeState n : nodes) {
            if (isCandidate(n) && (unknownTimeline || n.timeline() == conflictTimeline)) {
                conflict[i++] = n;
            }
        }
        return new WriteTarget(Status.SPLIT_BRAIN, null, List.of(conflict), null);
    }

    private static boolean isCandidate(NodeState n) {
        return n.up() && !n.refused() && n.role() == NodeRole.PRIMARY;
    }

    /** The outcome. */
    public Status status() {
        return status;
    }

    /** Whether writes have a target. */
    public boolean isOk() {
        return status == Status.OK;
    }

    /**
     * The primary writes go to.
     *
     * @throws IllegalStateException unless {@link #isOk()}
     */
    public NodeState node() {
        if (node == null) {
            throw new IllegalStateException("no write target: " + status);
        }
        return node;
    }

    /** For {@link Status#SPLIT_BRAIN}, the primaries in conflict, in seed order; empty otherwise. */
    public List<NodeState> conflicting() {
        return status == Status.SPLIT_BRAIN ? conflicting : List.of();
    }

    /**
     * For {@link Status#DIVERGED}, the primary whose history lacks what {@link #mark()} holds.
     *
     * @throws IllegalStateException unless DIVERGED
     */
    public NodeState behind() {
        if (status != Status.DIVERGED) {
            throw new IllegalStateException("history not diverged: " + status);
        }
        return conflicting.get(0);
    }

    /** For {@link Status#DIVERGED}, the newer history; null otherwise. */
    public HistoryMark mark() {
        return mark;
    }

    @Override
    public String toString() {
        switch (status) {
            case OK:
                return "OK " + node.host() + " timeline " + node.timeline();
            case SPLIT_BRAIN:
                StringBuilder text = new StringBuilder("SPLIT_BRAIN");
                String separator = " ";
                for (NodeState n : conflicting) {
                    text.append(separator).append(n.host()).append(" timeline ")
                            .append(n.timeline() == 0 ? "unknown" : Integer.toString(n.timeline()));
                    separator = ", ";
                }
                return text.toString();
            case DIVERGED:
                return "DIVERGED " + behind().host() + " timeline " + behind().timeline() + " behind " + mark.primary()
                        + " timeline " + mark.timeline() + " at " + Lsn.format(mark.lastLsn());
            default:
                return status.name();
        }
    }
}
