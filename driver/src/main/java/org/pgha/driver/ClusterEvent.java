package org.pgha.driver;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Something the topology monitor noticed. Immutable.
 *
 * @param type what happened
 * @param node the node concerned, {@code host:port}
 * @param detail a human-readable detail (roles, timelines, the error), never a password
 * @param at when the monitor noticed it
 * @param duration how long it took, for {@link Type#FAILOVER_COMPLETED} and
 *     {@link Type#FAILOVER_FAILED}; null otherwise
 */
public record ClusterEvent(Type type, String node, String detail, Instant at, Duration duration) {

    /** The kinds of event. */
    public enum Type {
        /** A node answered its probe after being down or unknown. */
        NODE_UP,
        /** A node failed {@code failureThreshold} probes in a row, or one probe took longer than {@code probeTimeout}. */
        NODE_DOWN,
        /** A node now reports another role (primary or replica). */
        ROLE_CHANGED,
        /** The node that takes writes changed (after a promotion or a switchover). */
        PRIMARY_CHANGED,
        /** Two primaries on the highest timeline: writes are refused until one is gone. */
        SPLIT_BRAIN,
        /**
         * The only primary's history lacks writes a newer primary took (its timeline is lower
         * than one pgha saw taking writes, or its position is behind it on the same timeline):
         * a failover manager's split brain, or a restore. {@code node} is that primary; the
         * detail names both timelines and the WAL range whose acknowledged writes may be lost.
         */
        HISTORY_DIVERGED,
        /** A node belongs to another cluster (a different {@code system_identifier}): never used. */
        NODE_REFUSED,
        /** The primary is gone (down, or no node is a usable primary): a failover began. {@code node} is the lost primary. */
        FAILOVER_STARTED,
        /** A primary is usable again; {@code node} is it, {@code duration} the time without one. */
        FAILOVER_COMPLETED,
        /** No primary within {@code failoverTimeout}; {@code node} is the lost primary. A later primary completes it. */
        FAILOVER_FAILED,
        /** A topology source (Patroni) listed a member the monitor did not know: it is probed, and used once verified. */
        MEMBER_ADDED,
        /** A member the topology source had listed is gone from it: no longer probed or used. */
        MEMBER_REMOVED
    }

    /** An event without a duration. */
    public ClusterEvent(Type type, String node, String detail, Instant at) {
        this(type, node, detail, at, null);
    }

    public ClusterEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(at, "at");
    }

    @Override
    public String toString() {
        return type + " " + node + (detail == null || detail.isEmpty() ? "" : ": " + detail);
    }
}
