package org.pgha.driver.internal;

import java.util.Objects;

/**
 * The newest history the cluster's write target has had, as the monitor sampled it: the
 * primary, its timeline, and the first and last flushed WAL positions
 * ({@code pg_current_wal_flush_lsn()}) sampled there. Writes acknowledged by that primary lie
 * on that timeline below {@link #lastLsn()} (and those acknowledged after the last sample above
 * it). Flushed, not written: WAL written but not yet flushed holds no commit acknowledged with
 * {@code synchronous_commit} on, and may rightly vanish when the primary's host crashes; a
 * primary back from such a crash on the same timeline is not taken for a diverged history.
 *
 * <p>A primary on a lower timeline, or on the same timeline but below {@link #lastLsn()}, has
 * a history that lacks some of those writes: a failover manager's split brain brought an old
 * primary back, or a node was restored from a backup. {@link #isAhead(NodeState)} tells; the
 * {@link WriteTarget} rule then refuses it ({@link WriteTarget.Status#DIVERGED}). Immutable.
 *
 * @param primary the node that took writes on {@link #timeline()}
 * @param timeline the newest timeline a write target was on
 * @param firstLsn the first position sampled on that timeline: the timeline began at or before it
 * @param lastLsn the highest position sampled on that timeline
 */
public record HistoryMark(HostSpec primary, int timeline, long firstLsn, long lastLsn) {

    public HistoryMark {
        Objects.requireNonNull(primary, "primary");
    }

    /** The mark of one primary sample, at its current position: what accepting its history sets. */
    public static HistoryMark of(NodeState primary) {
        return new HistoryMark(primary.host(), primary.timeline(), primary.lsn(), primary.lsn());
    }

    /**
     * Whether this history holds something {@code primary}'s lacks: it is on a lower timeline,
     * or on this timeline below the last position sampled here. A node whose timeline or
     * position is unknown is not judged.
     */
    public boolean isAhead(NodeState primary) {
        if (primary.timeline() == 0) {
            return false;
        }
        return primary.timeline() < timeline || primary.timeline() == timeline && primary.lsn() >= 0 && primary.lsn() < lastLsn;
    }

    /**
     * The mark once {@code primary}, the write target, was sampled with {@code flushedLsn} as
     * its flushed position: the same object if it adds nothing, so the caller can tell cheaply.
     */
    public static HistoryMark advance(HistoryMark mark, NodeState primary, long flushedLsn) {
        if (primary.timeline() == 0 || flushedLsn < 0) {
            return mark;
        }
        if (mark == null || primary.timeline() > mark.timeline) {
            return new HistoryMark(primary.host(), primary.timeline(), flushedLsn, flushedLsn);
        }
        if (primary.timeline() == mark.timeline && flushedLsn > mark.lastLsn) {
            return new HistoryMark(primary.host(), mark.timeline, mark.firstLsn, flushedLsn);
        }
        return mark;
    }

    /** What writes {@code behind} lacks, for messages: timelines, hosts and the WAL range. */
    public String describe(NodeState behind) {
        StringBuilder text = new StringBuilder(200).append("the only primary, ").append(behind.host())
                .append(", is on timeline ").append(behind.timeline()).append(" at ").append(Lsn.format(behind.lsn()));
        if (behind.timeline() < timeline) {
            text.append(", but ").append(primary).append(" took writes on timeline ").append(timeline)
                    .append(": writes acknowledged on timeline ").append(timeline).append(" from about ")
                    .append(Lsn.format(firstLsn)).append(" (where pgha first sampled it; the timeline began at or before it) to ")
                    .append(Lsn.format(lastLsn)).append(" (the last position pgha sampled) and after it");
        } else {
            text.append(", behind ").append(Lsn.format(lastLsn)).append(" that ").append(primary)
                    .append(" had reached on the same timeline: writes acknowledged from ")
                    .append(Lsn.format(behind.lsn())).append(" to ").append(Lsn.format(lastLsn)).append(" and after it");
        }
        return text.append(" are not in its history and may be lost").toString();
    }
}
