package org.pgha.driver.topology;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.pgha.driver.ClusterStatus;
import org.pgha.driver.config.HostSpec;

/**
 * An immutable snapshot of the cluster: every seed node as last probed, the lag history of the
 * current primary, and the write target derived from them.
 *
 * <p>The topology monitor is the only producer: it builds the next snapshot from the current
 * one ({@link #toBuilder()}, {@link #withNode}) and publishes it through one {@code volatile}
 * reference; routing reads that reference once per decision and never locks. Everything the
 * router needs per transaction ({@link #writeTarget()}, {@link #replicas()},
 * {@link #primaryHistory()}) is computed once here, in the constructor.
 *
 * <h2>The history belongs to one primary</h2>
 * The monitor hands over the history together with the primary and timeline it was sampled on
 * ({@link Builder#primaryHistory(HostSpec, int, PrimaryHistory)}). {@link #primaryHistory()}
 * returns it only if that is this snapshot's OK write target on the same timeline, and an
 * empty history otherwise. So a failover that the monitor has reflected in the nodes but not
 * yet in the history, or a split brain, leaves every replica's lag unknown, and reads go to
 * the primary or fail, instead of judging a replica of the new primary against the old one's
 * LSNs. With no primary at all, {@link #readBasis()} still judges the replicas of the last
 * primary's timeline by its history and its synchronous standbys' samples ({@link ReadBasis}).
 */
public final class Topology {

    private final List<NodeState> nodes;
    private final PrimaryHistory recordedHistory;
    private final HostSpec historyOwner;
    private final int historyTimeline;
    private final long takenAtNanos;
    private final HistoryMark historyMark;
    private final List<SyncWitness> witnesses;
    private final Set<HostSpec> drained;

    private final WriteTarget writeTarget;
    private final List<NodeState> replicas;
    private final PrimaryHistory primaryHistory;
    private final ReadBasis readBasis;

    private Topology(List<NodeState> nodes, PrimaryHistory recordedHistory, HostSpec historyOwner,
            int historyTimeline, long takenAtNanos, HistoryMark historyMark, List<SyncWitness> witnesses,
            Set<HostSpec> drained) {
        this.nodes = List.copyOf(nodes);
        this.drained = Set.copyOf(drained);
        this.recordedHistory = recordedHistory;
        this.historyOwner = historyOwner;
        this.historyTimeline = historyTimeline;
        this.takenAtNanos = takenAtNanos;
        this.historyMark = historyMark;
        this.witnesses = List.copyOf(witnesses);

        this.writeTarget = WriteTarget.of(this.nodes, historyMark);
        List<NodeState> usableReplicas = new ArrayList<>(this.nodes.size());
        for (NodeState n : this.nodes) {
            if (n.up() && !n.refused() && n.role() == NodeRole.REPLICA && !this.drained.contains(n.host())) {
                usableReplicas.add(n);
            }
        }
        this.replicas = List.copyOf(usableReplicas);
        boolean historyMatches = writeTarget.isOk()
                && writeTarget.node().host().equals(historyOwner)
                && writeTarget.node().timeline() == historyTimeline;
        this.primaryHistory = historyMatches ? recordedHistory : PrimaryHistory.empty();
        if (historyMatches && historyTimeline > 0) {
            this.readBasis = ReadBasis.of(historyTimeline, recordedHistory, this.witnesses, false);
        } else if (writeTarget.status() == WriteTarget.Status.NO_PRIMARY && historyOwner != null && historyTimeline > 0) {
            // The primary is gone: what it acknowledged before its samples, and what its
            // synchronous standbys received, still bound the replicas of its timeline.
            this.readBasis = ReadBasis.of(historyTimeline, recordedHistory, this.witnesses, true);
        } else if (writeTarget.isOk() && writeTarget.node().timeline() > 0) {
            this.readBasis = ReadBasis.of(writeTarget.node().timeline(), PrimaryHistory.empty(), List.of(), false);
        } else {
            this.readBasis = ReadBasis.none();
        }
    }

    /**
     * The snapshot before any probe: every seed UNKNOWN and down, no history, taken at
     * {@link NodeState#NEVER}.
     *
     * @throws IllegalArgumentException if {@code seeds} is empty or names a host twice
     */
    public static Topology initial(List<HostSpec> seeds) {
        return builder(seeds).build();
    }

    /**
     * A builder starting from {@link #initial(List)}.
     *
     * @throws IllegalArgumentException if {@code seeds} is empty or names a host twice
     */
    public static Builder builder(List<HostSpec> seeds) {
        if (seeds == null || seeds.isEmpty()) {
            throw new IllegalArgumentException("a topology needs at least one host");
        }
        NodeState[] states = new NodeState[seeds.size()];
        for (int i = 0; i < states.length; i++) {
            HostSpec seed = Objects.requireNonNull(seeds.get(i), "seed host");
            for (int k = 0; k < i; k++) {
                if (states[k].host().equals(seed)) {
                    throw new IllegalArgumentException("host " + seed + " is listed twice");
                }
            }
            states[i] = NodeState.unknown(seed);
        }
        return new Builder(states, PrimaryHistory.empty(), null, 0, NodeState.NEVER, null, List.of(), Set.of());
    }

    /** A builder holding this snapshot's nodes, history (with its owner) and time. */
    public Builder toBuilder() {
        return new Builder(nodes.toArray(new NodeState[0]), recordedHistory, historyOwner, historyTimeline,
                takenAtNanos, historyMark, witnesses, drained);
    }

    /**
     * This snapshot with one node replaced (same history and time).
     *
     * @throws IllegalArgumentException if the node's host is not one of the seeds
     */
    public Topology withNode(NodeState node) {
        return toBuilder().node(node).build();
    }

    /**
     * The nodes a topology source (Patroni) says to send no new reads: a member stopping,
     * starting or tagged {@code noloadbalance}. They are probed as any other, and are never in
     * {@link #replicas()}.
     */
    public Set<HostSpec> drained() {
        return drained;
    }

    /** Every node, in seed order (then the nodes added since, in the order they were added). */
    public List<NodeState> nodes() {
        return nodes;
    }

    /** The node for {@code host}, if it is a seed. */
    public Optional<NodeState> node(HostSpec host) {
        for (NodeState n : nodes) {
            if (n.host().equals(host)) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    /**
     * The newest history a write target had, as the monitor sampled it; null before any. The
     * write target is {@link WriteTarget.Status#DIVERGED} when it is ahead of the one primary.
     */
    public HistoryMark historyMark() {
        return historyMark;
    }

    /** Where writes go, by the split-brain rule and the history check of {@link WriteTarget}. */
    public WriteTarget writeTarget() {
        return writeTarget;
    }

    /**
     * The nodes up, not refused, with role REPLICA, in seed order. They are candidates only:
     * the {@code Router} still checks timeline, lag and the session's consistency.
     */
    public List<NodeState> replicas() {
        return replicas;
    }

    /**
     * The history of the current write target on its current timeline, or an empty history
     * (every lag unknown) if there is no OK write target or the monitor's history was recorded
     * on another primary or timeline.
     */
    public PrimaryHistory primaryHistory() {
        return primaryHistory;
    }

    /**
     * What replica lag is bounded by: the write target's history and its synchronous standbys'
     * samples; with no primary, the last write target's (see {@link ReadBasis}); nothing with a
     * split brain or a diverged history.
     */
    public ReadBasis readBasis() {
        return readBasis;
    }

    /**
     * A node's conservative replication lag as read routing uses it: 0 for a primary, the bound
     * from {@link #readBasis()} for a replica on its timeline, {@code Long.MAX_VALUE} when it
     * cannot be bounded.
     */
    public long lagNanos(NodeState node, long nowNanos) {
        if (node.role() == NodeRole.PRIMARY) {
            return 0;
        }
        if (readBasis.isNone() || node.timeline() != readBasis.timeline()) {
            return Long.MAX_VALUE;
        }
        return readBasis.conservativeLagNanos(node.lsn(), nowNanos);
    }

    /**
     * How many bytes of WAL a node's replay is behind the primary's latest sample: 0 for a
     * primary, -1 when unknown.
     */
    public long lagBytes(NodeState node) {
        if (node.role() == NodeRole.PRIMARY) {
            return 0;
        }
        long latest = readBasis.latestLsn();
        if (latest < 0 || node.lsn() < 0 || node.timeline() != readBasis.timeline()) {
            return -1;
        }
        return Math.max(0, latest - node.lsn());
    }

    /** When the monitor produced this snapshot, on its nanosecond clock. */
    public long takenAtNanos() {
        return takenAtNanos;
    }

    /**
     * A header line (time, write target, history) and one line per node: host, role, up or
     * down, LSN as PostgreSQL writes it, timeline, and failures if any.
     */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(64 + 80 * nodes.size())
                .append("Topology taken at ").append(takenAtNanos == NodeState.NEVER ? "never" : Long.toString(takenAtNanos))
                .append(", writes: ").append(writeTarget)
                .append(", history: ").append(primaryHistory.size()).append(" samples up to ")
                .append(Lsn.format(primaryHistory.latestLsn()));
        if (!witnesses.isEmpty() || readBasis.primaryLost()) {
            text.append(", reads bounded by ").append(readBasis);
        }
        for (NodeState n : nodes) {
            text.append("\n  ").append(n);
        }
        return text.toString();
    }

    /**
     * Makes the next snapshot. Not thread-safe: the monitor's thread owns it. Nodes stay in seed
     * order; only seeds can be replaced.
     */
    public static final class Builder {

        private NodeState[] nodes;
        private Set<HostSpec> drained;
        private PrimaryHistory history;
        private HostSpec historyOwner;
        private int historyTimeline;
        private long takenAtNanos;
        private HistoryMark historyMark;
        private List<SyncWitness> witnesses;

        private Builder(NodeState[] nodes, PrimaryHistory history, HostSpec historyOwner, int historyTimeline,
                long takenAtNanos, HistoryMark historyMark, List<SyncWitness> witnesses, Set<HostSpec> drained) {
            this.witnesses = witnesses;
            this.drained = drained;
            this.nodes = nodes;
            this.history = history;
            this.historyOwner = historyOwner;
            this.historyTimeline = historyTimeline;
            this.takenAtNanos = takenAtNanos;
            this.historyMark = historyMark;
        }

        /** Sets the newest history a write target had (see {@link Topology#historyMark()}); null for none. */
        public Builder historyMark(HistoryMark mark) {
            this.historyMark = mark;
            return this;
        }

        /**
         * Replaces the state of the node with the same host.
         *
         * @throws IllegalArgumentException if {@code state}'s host is not a seed
         */
        public Builder node(NodeState state) {
            Objects.requireNonNull(state, "state");
            for (int i = 0; i < nodes.length; i++) {
                if (nodes[i].host().equals(state.host())) {
                    nodes[i] = state;
                    return this;
                }
            }
            throw new IllegalArgumentException(state.host() + " is not one of the hosts " + hosts());
        }

        /**
         * Sets the lag history and the primary and timeline it was sampled on. It takes effect
         * only while that node is the OK write target on that timeline (see
         * {@link Topology#primaryHistory()}). The monitor keeps its own history as it appends
         * samples, and starts it afresh from {@link PrimaryHistory#empty()} whenever the primary
         * or its timeline changes.
         */
        public Builder primaryHistory(HostSpec owner, int timeline, PrimaryHistory samples) {
            this.historyOwner = Objects.requireNonNull(owner, "owner");
            this.historyTimeline = timeline;
            this.history = Objects.requireNonNull(samples, "samples");
            return this;
        }

        /** Drops the lag history and the witnesses, as when the primary is gone and no new one is known. */
        public Builder noPrimaryHistory() {
            this.historyOwner = null;
            this.historyTimeline = 0;
            this.history = PrimaryHistory.empty();
            this.witnesses = List.of();
            return this;
        }

        /**
         * Sets the synchronous standbys' samples ({@link SyncWitness}); they belong to the history
         * set by {@link #primaryHistory} and count only with it.
         */
        public Builder witnesses(List<SyncWitness> samples) {
            this.witnesses = List.copyOf(samples);
            return this;
        }

        /**
         * Adds a node that was not known (a member a topology source found), before any probe.
         *
         * @throws IllegalArgumentException if it is known already
         */
        public Builder addNode(HostSpec host) {
            for (NodeState n : nodes) {
                if (n.host().equals(host)) {
                    throw new IllegalArgumentException("host " + host + " is known already");
                }
            }
            nodes = Arrays.copyOf(nodes, nodes.length + 1);
            nodes[nodes.length - 1] = NodeState.unknown(host);
            return this;
        }

        /**
         * Removes a node (a member that left the cluster). The history and the witnesses stay:
         * the monitor never removes the node they belong to.
         *
         * @throws IllegalArgumentException if it is the last one, or not known
         */
        public Builder removeNode(HostSpec host) {
            List<NodeState> kept = new ArrayList<>(nodes.length);
            for (NodeState n : nodes) {
                if (!n.host().equals(host)) {
                    kept.add(n);
                }
            }
            if (kept.size() == nodes.length) {
                throw new IllegalArgumentException(host + " is not one of the hosts " + hosts());
            }
            if (kept.isEmpty()) {
                throw new IllegalArgumentException("a topology needs at least one host");
            }
            nodes = kept.toArray(new NodeState[0]);
            Set<HostSpec> stillDrained = new java.util.HashSet<>(drained);
            stillDrained.remove(host);
            drained = Set.copyOf(stillDrained);
            return this;
        }

        /** Sets the nodes that get no new reads (a member on its way down, or tagged {@code noloadbalance}). */
        public Builder drained(Set<HostSpec> hosts) {
            this.drained = Set.copyOf(hosts);
            return this;
        }

        /** Sets when the snapshot is taken. */
        public Builder takenAtNanos(long nanos) {
            this.takenAtNanos = nanos;
            return this;
        }

        /** The snapshot. The builder may be used further; the snapshot does not change. */
        public Topology build() {
            return new Topology(Arrays.asList(nodes.clone()), history, historyOwner, historyTimeline, takenAtNanos,
                    historyMark, witnesses, drained);
        }

        private List<HostSpec> hosts() {
            List<HostSpec> hosts = new ArrayList<>(nodes.length);
            for (NodeState n : nodes) {
                hosts.add(n.host());
            }
            return hosts;
        }
    }

    /** This snapshot as the public {@link ClusterStatus}, with lags as of {@code now} (nanos) and taken {@code at}. */
    public ClusterStatus status(long now, Instant at) {
        List<ClusterStatus.Node> members = new ArrayList<>(nodes().size());
        for (NodeState n : nodes()) {
            boolean usable = n.up() && !n.refused();
            long lag = usable ? lagNanos(n, now) : Long.MAX_VALUE;
            long bytes = usable ? lagBytes(n) : -1;
            members.add(new ClusterStatus.Node(n.host().toString(), ClusterStatus.Role.valueOf(n.role().name()), n.up(),
                    n.refused(), n.timeline(), lag == Long.MAX_VALUE ? null : Duration.ofNanos(lag),
                    bytes < 0 ? null : bytes, n.lastError(), drained.contains(n.host())));
        }
        WriteTarget target = writeTarget();
        ClusterStatus.Writes writes = switch (target.status()) {
            case OK -> ClusterStatus.Writes.PRIMARY;
            case NO_PRIMARY -> ClusterStatus.Writes.NO_PRIMARY;
            case SPLIT_BRAIN -> ClusterStatus.Writes.SPLIT_BRAIN;
            case DIVERGED -> ClusterStatus.Writes.HISTORY_DIVERGED;
        };
        return new ClusterStatus(at, writes, target.isOk() ? target.node().host().toString() : null, members);
    }
}
