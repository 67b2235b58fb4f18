package org.pgha.driver.topology;

import java.util.Objects;
import org.pgha.driver.config.HostSpec;

/**
 * The newest history the cluster's write target has had, as the monitor sampled it: the
 * primary, its timeline, and the first and last flushed WAL positions
 * ({@code pg_current_wal_flush_lsn()}) sampled there. Writes acknowledged by that primary lie
 * on that timeline below {@link #lastLsn()} (and those acknowledged after the last sample above
 * it). Flushed, not written: WAL written but not yet flushed holds no commit acknowledged with
 * {@code synchronous_commit} on.
 *
 * <p>A primary on a lower timeline, or another node on the same timeline but below
 * {@link #lastLsn()}, has a history that lacks some of those writes: a failover manager's split
 * brain brought an old primary back, two promotions chose the same timeline, or a node was
 * restored from a backup. The node that set the mark is never judged by position on its own
 * timeline: its sampled positions can step back by a few bytes between probes (seen on
 * PostgreSQL 15), and WAL it had not flushed before its host crashed held nothing acknowledged. {@link #isAhead(NodeState)} tells; the
 * {@link WriteTarget} rule then refuses it ({@link WriteTarget.Status#DIVERGED}). Immutable.
 *
 * @param primary the node that took writes on {@link #timeline()}
 * @param timeline the newest timeline a write target was on
 * @param firstLsn the first position sampled on that timeline: the timeline began at or before it
 * @param lastLsn the highest position sampled on that timeline
 * @param abandoned the newer history given up when the application accepted this one
 *     ({@link #accept}), null if none: a primary on its timeline lacks what was written here
 *     since, however high its timeline
 */
public record HistoryMark(HostSpec primary, int timeline, long firstLsn, long lastLsn, HistoryMark abandoned) {

    public HistoryMark {
        Objects.requireNonNull(primary, "primary");
    }

    /** A mark that gave up no history. */
    public HistoryMark(HostSpec primary, int timeline, long firstLsn, long lastLsn) {
        this(primary, timeline, firstLsn, lastLsn, null);
    }

    /**
     * The mark once the application accepted {@code behind}'s history in place of this one:
     * this one is abandoned, so a primary back on its timeline is diverged in turn.
     */
    public HistoryMark accept(NodeState behind) {
        HistoryMark given = new HistoryMark(primary, timeline, firstLsn, lastLsn);
        return new HistoryMark(behind.host(), behind.timeline(), behind.lsn(), behind.lsn(), given);
    }

    /**
     * Whether this history holds something {@code primary}'s lacks: it is on a lower timeline,
     * or it is another node on this timeline, below the last position sampled here. A node whose
     * timeline or position is unknown is not judged.
     */
    public boolean isAhead(NodeState primary) {
        if (primary.timeline() == 0) {
            return false;
        }
        if (abandoned != null && primary.timeline() == abandoned.timeline) {
            return true;
        }
        if (primary.timeline() != timeline) {
            return primary.timeline() < timeline;
        }
        return !primary.host().equals(this.primary) && primary.lsn() >= 0 && primary.lsn() < lastLsn;
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
            // A newer timeline past the abandoned one leaves it behind for good.
            HistoryMark abandoned = mark == null || mark.abandoned == null || primary.timeline() > mark.abandoned.timeline
                    ? null : mark.abandoned;
            return new HistoryMark(primary.host(), primary.timeline(), flushedLsn, flushedLsn, abandoned);
        }
        if (primary.timeline() == mark.timeline && flushedLsn > mark.lastLsn) {
            return new HistoryMark(primary.host(), mark.timeline, mark.firstLsn, flushedLsn, mark.abandoned);
        }
        return mark;
    }

    /** What writes {@code behind} lacks, for messages: timelines, hosts and the WAL range. */
    public String describe(NodeState behind) {
        StringBuilder text = new StringBuilder(200).append("the only primary, ").append(behind.host())
                .append(", is on timeline ").append(behind.timeline()).append(" at ").append(Lsn.format(behind.lsn()));
        if (abandoned != null && behind.timeline() == abandoned.timeline) {
            text.append(", the history given up when the application accepted that of ").append(primary)
                    .append(" on timeline ").append(timeline).append(": writes acknowledged there from ")
                    .append(Lsn.format(firstLsn)).append(" (where it was accepted) to ").append(Lsn.format(lastLsn))
                    .append(" (the last position pgha sampled) and after it");
        } else if (behind.timeline() < timeline) {
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
