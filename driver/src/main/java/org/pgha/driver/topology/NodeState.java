package org.pgha.driver.topology;

import org.pgha.driver.config.HostSpec;

/**
 * One node as of its last probe: an immutable value the topology monitor produces and the
 * {@code Router} reads. Every field describes the past; the router's rules are built so that
 * acting on an old {@code NodeState} errs on the safe side (an old replay LSN is a lower bound
 * of what the replica holds now; an old role is re-checked by the server itself, since a
 * standby rejects writes).
 *
 * @param host the node, as named in the URL
 * @param role the role the last successful probe saw; {@link NodeRole#UNKNOWN} if none ever did.
 *     It is kept when the node goes down, for messages: a down node is never routed to whatever
 *     its role
 * @param up false once the monitor considers the node DOWN (probes failing)
 * @param lsn a WAL byte offset, {@value Lsn#UNKNOWN} if unknown. On a primary
 *     {@code pg_current_wal_lsn()} (or {@code pg_current_wal_insert_lsn()}, see
 *     {@link PrimaryHistory}); on a replica {@code pg_last_wal_replay_lsn()}: every WAL record
 *     below it has been replayed and is visible to new snapshots there. Hazard for the monitor: a
 *     replica restarted after a crash may come back with a lower replay position than it had
 *     reported, so a node that was down must be probed afresh, never given its old LSN
 * @param timeline the node's timeline ({@code timeline_id} of {@code pg_control_checkpoint()}
 *     on a primary, the replayed timeline on a replica); 0 if unknown. A replica on unknown
 *     timeline is never read from
 * @param probeSentAtNanos when the last successful probe was sent, on the caller's
 *     {@code System.nanoTime()}-like clock; {@link #NEVER} if none ever succeeded
 * @param consecutiveFailures failed probes since the last success
 * @param lastError the last probe failure, for messages; null if none. Must never contain a
 *     password (the monitor builds it from exception messages of the PostgreSQL driver, which
 *     do not include one)
 * @param refused true if the node's {@code system_identifier} differs from the cluster's: a
 *     different database cluster that happens to answer at this address. It is never used, in
 *     any role
 */
public record NodeState(
        HostSpec host,
        NodeRole role,
        boolean up,
        long lsn,
        int timeline,
        long probeSentAtNanos,
        int consecutiveFailures,
        String lastError,
        boolean refused) {

    /** {@link #probeSentAtNanos()} of a node that was never probed successfully. */
    public static final long NEVER = Long.MIN_VALUE;

    /**
     * @throws IllegalArgumentException if {@code host} or {@code role} is null, {@code lsn} is
     *     below {@value Lsn#UNKNOWN}, or {@code timeline} or {@code consecutiveFailures} is negative
     */
    public NodeState {
        if (host == null || role == null) {
            throw new IllegalArgumentException("host and role must not be null");
        }
        if (lsn < Lsn.UNKNOWN) {
            throw new IllegalArgumentException("lsn must be a byte offset or -1 (unknown), not " + lsn);
        }
        if (timeline < 0) {
            throw new IllegalArgumentException("timeline must be positive or 0 (unknown), not " + timeline);
        }
        if (consecutiveFailures < 0) {
            throw new IllegalArgumentException("consecutiveFailures must not be negative, not " + consecutiveFailures);
        }
    }

    /** A node before any successful probe: role UNKNOWN, down, nothing known. */
    public static NodeState unknown(HostSpec host) {
        return new NodeState(host, NodeRole.UNKNOWN, false, Lsn.UNKNOWN, 0, NEVER, 0, null, false);
    }

    /** A node as a successful probe sent at {@code sentAtNanos} saw it: up, no failures, no error. */
    public static NodeState probed(HostSpec host, NodeRole role, long lsn, int timeline, long sentAtNanos) {
        return new NodeState(host, role, true, lsn, timeline, sentAtNanos, 0, null, false);
    }

    /** This node after one more failed probe, marked down or not as the monitor decided. */
    public NodeState withFailure(String error, boolean stillUp) {
        return new NodeState(host, role, stillUp, lsn, timeline, probeSentAtNanos, consecutiveFailures + 1, error, refused);
    }

    /** This node with {@link #up()} changed. */
    public NodeState withUp(boolean newUp) {
        return new NodeState(host, role, newUp, lsn, timeline, probeSentAtNanos, consecutiveFailures, lastError, refused);
    }

    /** This node with {@link #refused()} changed. */
    public NodeState withRefused(boolean newRefused) {
        return new NodeState(host, role, up, lsn, timeline, probeSentAtNanos, consecutiveFailures, lastError, newRefused);
    }

    /** This node with {@link #lsn()} changed. */
    public NodeState withLsn(long newLsn) {
        return new NodeState(host, role, up, newLsn, timeline, probeSentAtNanos, consecutiveFailures, lastError, refused);
    }

    /**
     * One line for messages and logs: {@code db1:5432 REPLICA up lsn 0/3000060 timeline 2},
     * plus {@code refused}, failures and the last error when there are any.
     */
    @Override
    public String toString() {
        StringBuilder line = new StringBuilder(96)
                .append(host).append(' ').append(role).append(up ? " up" : " down")
                .append(" lsn ").append(Lsn.format(lsn))
                .append(" timeline ").append(timeline == 0 ? "unknown" : Integer.toString(timeline));
        if (refused) {
            line.append(" refused (different system identifier)");
        }
        if (consecutiveFailures > 0) {
            line.append(" failures ").append(consecutiveFailures);
        }
        if (lastError != null) {
            line.append(" (").append(lastError).append(')');
        }
        return line.toString();
    }
}
