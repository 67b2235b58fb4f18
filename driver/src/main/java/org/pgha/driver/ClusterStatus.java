package org.pgha.driver;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the topology monitor knows about the cluster at one moment, for health checks and
 * dashboards: where writes go and every node's role, state, timeline and lag. Immutable; every
 * field describes the last probes, so it may be up to {@code probeInterval} old.
 *
 * @param at when the snapshot was taken
 * @param writes whether writes have a node to go to
 * @param primary the node writes go to, {@code host:port}; null unless {@code writes} is
 *     {@link Writes#PRIMARY}
 * @param nodes every node of the URL, in its order
 */
public record ClusterStatus(Instant at, Writes writes, String primary, List<Node> nodes) {

    /** Whether writes have a node to go to, by pgha's split-brain rule (see docs/guarantees.md). */
    public enum Writes {
        /** Exactly one usable primary: {@link #primary()}. */
        PRIMARY,
        /** No node is up and primary: a failover is under way, or the cluster is down. */
        NO_PRIMARY,
        /** Two primaries on the highest timeline: pgha refuses writes until one is gone. */
        SPLIT_BRAIN,
        /**
         * The only primary's history lacks writes a newer primary took: pgha refuses writes and
         * reads until that primary is back or the history is accepted (see
         * {@code followDivergedHistory}).
         */
        HISTORY_DIVERGED
    }

    /** A node's role as its last successful probe saw it. */
    public enum Role {
        PRIMARY, REPLICA,
        /** Never probed successfully. */
        UNKNOWN
    }

    /**
     * One node.
     *
     * @param host {@code host:port} as in the URL
     * @param role the role its last successful probe saw (kept while it is down)
     * @param up false while the monitor considers it DOWN
     * @param refused true if it belongs to another cluster (another {@code system_identifier})
     *     and is never used
     * @param timeline its timeline, 0 if unknown
     * @param lag for an up replica, the conservative replication lag that read routing uses
     *     (see {@code maxReplicaLag}); {@link Duration#ZERO} for the primary; null if unknown
     *     or down
     * @param lagBytes for an up replica, how many bytes of WAL its replay is behind the
     *     primary's last sampled position; 0 for the primary; null if unknown or down
     * @param lastError the last probe failure, null if none; never contains a password
     * @param drained true if a topology source (Patroni) lists it as leaving or tagged
     *     {@code noloadbalance}: it gets no new reads (a drained primary keeps its writes)
     */
    public record Node(String host, Role role, boolean up, boolean refused, int timeline, Duration lag,
                       Long lagBytes, String lastError, boolean drained) {

        public Node {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(role, "role");
        }

        /** A node no topology source drains. */
        public Node(String host, Role role, boolean up, boolean refused, int timeline, Duration lag, Long lagBytes,
                String lastError) {
            this(host, role, up, refused, timeline, lag, lagBytes, lastError, false);
        }
    }

    public ClusterStatus {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(writes, "writes");
        nodes = List.copyOf(nodes);
        if ((primary != null) != (writes == Writes.PRIMARY)) {
            throw new IllegalArgumentException("primary must be set exactly when writes is PRIMARY");
        }
    }
}
