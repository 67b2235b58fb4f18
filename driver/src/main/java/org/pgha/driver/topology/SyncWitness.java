package org.pgha.driver.topology;

import java.util.Objects;
import org.pgha.driver.config.HostSpec;

/**
 * A synchronous standby as a second source of lag bounds: its own samples {@code (t_s, R_s)},
 * where {@code t_s} is when its probe was sent and {@code R_s} its received and flushed WAL
 * position ({@code pg_last_wal_receive_lsn()}), and an anchor, a primary sample's position.
 *
 * <h2>Why it bounds lag without the primary</h2>
 * With {@code synchronous_commit = on} (or {@code remote_apply}), a primary acknowledges a
 * commit only after the standby it waits for ({@code sync_state = 'sync'}) has flushed the
 * commit's WAL. So while the standby is that synchronous standby, every commit acknowledged
 * before {@code t_s} lies at or below {@code R_s}: the standby's samples are as good as the
 * primary's, and they go on when the primary is dead, hung or cut off. Commits acknowledged
 * before the standby became synchronous are covered by the anchor, the position of a primary
 * sample sent after a sample that saw the standby synchronous (see {@link SyncWitnesses}).
 *
 * <p>A replica that has replayed up to {@code L >= anchor} therefore holds every write
 * acknowledged before {@code t_j}, for the latest witness sample {@code j} with
 * {@code R_j <= L}; its conservative lag is {@code now - t_j}, as with {@link PrimaryHistory}.
 *
 * @param standby the synchronous standby
 * @param anchorLsn every commit acknowledged before the standby was synchronous lies at or below
 *     it
 * @param received the standby's samples, on the timeline of the primary it follows
 */
public record SyncWitness(HostSpec standby, long anchorLsn, PrimaryHistory received) {

    public SyncWitness {
        Objects.requireNonNull(standby, "standby");
        Objects.requireNonNull(received, "received");
        if (anchorLsn < 0) {
            throw new IllegalArgumentException("a witness needs a known anchor, not " + anchorLsn);
        }
    }

    /** The conservative lag of a replica at {@code replicaLsn}, {@link Long#MAX_VALUE} if this witness cannot bound it. */
    long conservativeLagNanos(long replicaLsn, long nowNanos) {
        return replicaLsn < anchorLsn ? Long.MAX_VALUE : received.conservativeLagNanos(replicaLsn, nowNanos);
    }

    /** Whether a replica at {@code replicaLsn} holds every write acknowledged at or before {@code afterNanos}. */
    boolean covers(long replicaLsn, long afterNanos) {
        return replicaLsn >= anchorLsn && received.covers(replicaLsn, afterNanos);
    }
}
