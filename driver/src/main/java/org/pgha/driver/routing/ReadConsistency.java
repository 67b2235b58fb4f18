package org.pgha.driver.routing;

import org.pgha.driver.topology.Lsn;
import org.pgha.driver.topology.PrimaryHistory;

/**
 * What a read must see beyond the lag bound: a session's own writes, and a consistency token.
 * Immutable; a session keeps one and replaces it after each write.
 *
 * @param lastWriteAckNanos when this session's latest write was acknowledged, on the same clock
 *     as the monitor's probe times ({@code System.nanoTime()}), or {@link Long#MIN_VALUE} if the
 *     session has not written. Hazard: it must be read <em>after</em> the commit returned; a
 *     time taken before sending the commit would let a replica that misses the write pass as
 *     caught up
 * @param minLsn a WAL byte offset the replica must have replayed (from a consistency token, see
 *     {@link PrimaryHistory#lsnSentAfter}), or {@value Lsn#UNKNOWN} for none. A token is only
 *     meaningful on the timeline it was made on: after a failover, a write that reached the new
 *     primary keeps its LSN, and one that did not is lost to every node alike
 * @param minTimeline the timeline the token was made on, 0 for none (a token without one). A node
 *     on an older timeline cannot hold what the token covers, even at a higher LSN: an old primary
 *     still running after a promotion (or a monitor that has not seen the promotion yet, in
 *     another process than the one that made the token) must not serve such a read
 */
public record ReadConsistency(long lastWriteAckNanos, long minLsn, int minTimeline) {

    /** Nothing beyond the lag bound: no write in this session, no token. */
    public static final ReadConsistency NONE = new ReadConsistency(Long.MIN_VALUE, Lsn.UNKNOWN, 0);

    /** @throws IllegalArgumentException if {@code minLsn} is below {@value Lsn#UNKNOWN} or {@code minTimeline} negative */
    public ReadConsistency {
        if (minLsn < Lsn.UNKNOWN) {
            throw new IllegalArgumentException("minLsn must be a byte offset or -1 (none), not " + minLsn);
        }
        if (minTimeline < 0) {
            throw new IllegalArgumentException("minTimeline must be a timeline or 0 (none), not " + minTimeline);
        }
    }

    /** Read-your-writes after a write acknowledged at {@code ackNanos}, no token. */
    public static ReadConsistency afterWrite(long ackNanos) {
        return new ReadConsistency(ackNanos, Lsn.UNKNOWN, 0);
    }

    /** A token without a timeline: the replica must have replayed {@code lsn}; no session write. */
    public static ReadConsistency atLeast(long lsn) {
        return new ReadConsistency(Long.MIN_VALUE, lsn, 0);
    }

    /** A token: the node must be on {@code timeline} or a later one, and a replica must have replayed {@code lsn}. */
    public static ReadConsistency atLeast(long lsn, int timeline) {
        return new ReadConsistency(Long.MIN_VALUE, lsn, timeline);
    }

    /** Whether the session has written. */
    public boolean hasWrite() {
        return lastWriteAckNanos != Long.MIN_VALUE;
    }
}
