package org.pgha.driver.routing;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.pgha.driver.LoadBalance;
import org.pgha.driver.PghaSqlState;
import org.pgha.driver.ReadFallback;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.topology.Lsn;
import org.pgha.driver.topology.NodeRole;
import org.pgha.driver.topology.NodeState;
import org.pgha.driver.topology.PrimaryHistory;
import org.pgha.driver.topology.ReadBasis;
import org.pgha.driver.topology.Topology;
import org.pgha.driver.topology.WriteTarget;

/**
 * Picks the node for one transaction from a {@link Topology} snapshot.
 *
 * <h2>Writes</h2>
 * Go to the {@link WriteTarget} of the snapshot; with no primary, or with two on the highest
 * timeline, they fail ({@link PghaSqlState#NO_PRIMARY}, {@link PghaSqlState#SPLIT_BRAIN}) with a
 * message naming every node involved. Never to anything else: a write on a non-primary is
 * rejected by the server at best and lost at worst.
 *
 * <h2>Reads</h2>
 * A replica is eligible iff all of these hold:
 * <ol>
 *   <li>it is up, not refused, with role REPLICA, and not drained by a topology source ({@link Topology#replicas()});
 *   <li>there is a read basis ({@link Topology#readBasis()}: an OK write target, or none and the
 *       last one's history), and the replica is on its timeline (known, equal). A replica on
 *       another timeline may hold commits the primary never had, or miss the promotion. With a
 *       split brain or a diverged history there is no basis, and reads fall back or fail, like
 *       writes;
 *   <li>its conservative lag ({@link ReadBasis#conservativeLagNanos}: from the primary's samples
 *       or a synchronous standby's) is known and at most {@code maxReplicaLag}, and, if
 *       {@code maxReplicaLagBytes} is set, the latest sample is at most that many bytes ahead of
 *       its replay LSN;
 *   <li>if the session has written, the basis shows the replica holds that write
 *       ({@link ReadBasis#covers}: a sample sent after the acknowledgement is at or below the
 *       replica's replay LSN);
 *   <li>if the session has a token, the replica's replay LSN is at or above it.
 * </ol>
 * The primary satisfies 3 to 5 by definition. Among the eligible replicas, {@code loadBalance}
 * picks: in turn (a shared counter modulo the number eligible now; the eligible set changes
 * between calls, so the turn is approximate, which is fine), the smallest conservative lag
 * (ties to seed order), or uniformly at random. With none eligible, {@code readFallback=primary}
 * reads from the write target (if there is none, the read fails with the write's error), and
 * {@code readFallback=fail} fails with {@link PghaSqlState#NO_REPLICA_WITHIN_LAG}, naming why
 * each node was excluded. That includes a session's own consistency: with {@code fail}, a
 * read right after a write fails until a replica is known to hold the write.
 *
 * <p><b>Guarantee</b> (from {@link PrimaryHistory}): a read routed at {@code nowNanos} sees every
 * write acknowledged strictly before {@code nowNanos - maxReplicaLag}, and every write of its
 * session. The bound is relative to {@code nowNanos}: the caller reads the clock when the
 * transaction starts, and any delay between that and the query adds to the staleness.
 *
 * <h2>Threads and cost</h2>
 * Thread-safe: the state is final except the round-robin counter, an {@link AtomicLong}; the
 * {@link RandomGenerator} must itself be safe for concurrent use (for instance a
 * {@link java.util.Random}; not a {@link java.util.concurrent.ThreadLocalRandom} shared
 * between threads). A successful choice allocates nothing: it scans the snapshot's lists by
 * index, twice for round robin and random (count, then pick) rather than building a list.
 * Only failures build messages.
 */
public final class Router {

    private final LoadBalance loadBalance;
    private final ReadFallback readFallback;
    private final long maxLagNanos;
    private final long maxLagBytes; // -1: no byte bound
    private final RandomGenerator random;
    private final AtomicLong turn = new AtomicLong();

    /**
     * @param loadBalance how reads are spread over eligible replicas
     * @param readFallback what a read does when none is eligible
     * @param maxReplicaLag the staleness bound, zero or positive; it must exceed the monitor's
     *     probe interval, or replicas are rarely eligible (see {@link PrimaryHistory})
     * @param maxReplicaLagBytes an additional bound on how far, in WAL bytes, a replica may be
     *     behind the latest primary sample; empty for none
     * @param random for {@link LoadBalance#RANDOM}; must be safe for concurrent use
     * @throws IllegalArgumentException if an argument is null or a bound is negative
     */
    public Router(LoadBalance loadBalance, ReadFallback readFallback, Duration maxReplicaLag,
            OptionalLong maxReplicaLagBytes, RandomGenerator random) {
        if (loadBalance == null || readFallback == null || maxReplicaLag == null || maxReplicaLagBytes == null
                || random == null) {
            throw new IllegalArgumentException("no router argument may be null");
        }
        if (maxReplicaLag.isNegative()) {
            throw new IllegalArgumentException("maxReplicaLag must not be negative, not " + maxReplicaLag);
        }
        if (maxReplicaLagBytes.isPresent() && maxReplicaLagBytes.getAsLong() < 0) {
            throw new IllegalArgumentException(
                    "maxReplicaLagBytes must not be negative, not " + maxReplicaLagBytes.getAsLong());
        }
        this.loadBalance = loadBalance;
        this.readFallback = readFallback;
        long nanos;
        try {
            nanos = maxReplicaLag.toNanos();
        } catch (ArithmeticException beyond292Years) {
            // Saturating is safe: an unknown lag (Long.MAX_VALUE) is excluded on its own, not by
            // comparison with the bound.
            nanos = Long.MAX_VALUE;
        }
        this.maxLagNanos = nanos;
        this.maxLagBytes = maxReplicaLagBytes.orElse(-1L);
        this.random = random;
    }

    /** What a read does when no replica is eligible. */
    public ReadFallback readFallback() {
        return readFallback;
    }

    /**
     * The node for a transaction.
     *
     * @param intent whether the transaction writes
     * @param topology the current snapshot, read once by the caller
     * @param nowNanos the clock when the transaction starts, on the monitor's clock
     * @param consistency what this session's read must see; {@link ReadConsistency#NONE} if
     *     nothing beyond the bound (ignored for writes)
     * @return the node, from {@code topology}
     * @throws SQLException with SQLState {@link PghaSqlState#NO_PRIMARY} or
     *     {@link PghaSqlState#SPLIT_BRAIN} if a write, or a read falling back to the primary, has
     *     no write target; {@link PghaSqlState#NO_REPLICA_WITHIN_LAG} if a read with
     *     {@code readFallback=fail} has no eligible replica
     */
    public NodeState choose(RoutingIntent intent, Topology topology, long nowNanos, ReadConsistency consistency)
            throws SQLException {
        Objects.requireNonNull(intent, "intent");
        Objects.requireNonNull(topology, "topology");
        Objects.requireNonNull(consistency, "consistency");
        WriteTarget target = topology.writeTarget();
        if (intent == RoutingIntent.WRITE || target.status() == WriteTarget.Status.DIVERGED) {
            // A diverged history serves no read either, whatever readFallback says.
            return writeTarget(topology);
        }
        if (!topology.readBasis().isNone()) {
            NodeState replica = chooseReplica(topology, nowNanos, consistency);
            if (replica != null) {
                return replica;
            }
        }
        if (readFallback == ReadFallback.PRIMARY) {
            NodeState primary = writeTarget(topology);
            if (primary.timeline() < consistency.minTimeline()) {
                throw behindTokenTimeline(primary, consistency);
            }
            return primary;
        }
        throw noReplica(topology, nowNanos, consistency);
    }

    /**
     * The only primary known is on an older timeline than a token's: the monitor has not seen the
     * promotion the token's process saw (or the old primary runs on). Reported as no primary, so
     * that the read waits for the monitor to find the newer one.
     */
    private static SQLException behindTokenTimeline(NodeState primary, ReadConsistency consistency) {
        return new java.sql.SQLTransientConnectionException("no node has reached the consistency token's timeline "
                + consistency.minTimeline() + " yet: the primary " + primary.host() + " is on timeline "
                + primary.timeline(), PghaSqlState.NO_PRIMARY);
    }

    /**
     * Whether a connection bound to {@code host} may stay there for its next transaction: for a
     * write, the host is still the write target; for a read, it is still an eligible replica. A
     * read that fell back to the primary does not qualify, so it returns to a replica as soon as
     * one is eligible. Allocation-free.
     */
    public boolean stillQualifies(RoutingIntent intent, HostSpec host, Topology topology, long nowNanos,
            ReadConsistency consistency) {
        if (intent == RoutingIntent.WRITE) {
            WriteTarget target = topology.writeTarget();
            return target.isOk() && target.node().host().equals(host);
        }
        List<NodeState> nodes = topology.nodes();
        for (int i = 0, n = nodes.size(); i < n; i++) {
            NodeState node = nodes.get(i);
            if (node.host().equals(host)) {
                return !topology.drained().contains(host)
                        && exclusion(node, topology.readBasis(), nowNanos, consistency) == Exclusion.NONE;
            }
        }
        return false;
    }

    /**
     * Why a node serves no reads now for a session that has not written and holds no token, in
     * the words of a {@link PghaSqlState#NO_REPLICA_WITHIN_LAG} message; null if it is an eligible
     * replica. For tools that show the routing (the status command), not for the statement path.
     */
    public String readExclusion(HostSpec host, Topology topology, long nowNanos) {
        Optional<NodeState> node = topology.node(host);
        if (node.isEmpty()) {
            return "not a member";
        }
        if (exclusion(node.get(), topology.readBasis(), nowNanos, ReadConsistency.NONE) == Exclusion.NONE) {
            return topology.drained().contains(host) ? "drained by the topology source (leaving, or noloadbalance)" : null;
        }
        StringBuilder why = new StringBuilder();
        explain(why, node.get(), topology.readBasis(), nowNanos, ReadConsistency.NONE);
        return why.toString();
    }

    private NodeState chooseReplica(Topology topology, long nowNanos, ReadConsistency consistency) {
        List<NodeState> replicas = topology.replicas();
        ReadBasis basis = topology.readBasis();
        int n = replicas.size();
        if (loadBalance == LoadBalance.LEAST_LAG) {
            NodeState best = null;
            long bestLag = Long.MAX_VALUE;
            for (int i = 0; i < n; i++) {
                NodeState r = replicas.get(i);
                if (exclusion(r, basis, nowNanos, consistency) == Exclusion.NONE) {
                    long lag = basis.conservativeLagNanos(r.lsn(), nowNanos);
                    // Strictly smaller: ties keep the earlier seed.
                    if (best == null || lag < bestLag) {
                        best = r;
                        bestLag = lag;
                    }
                }
            }
            return best;
        }
        int eligible = 0;
        for (int i = 0; i < n; i++) {
            if (exclusion(replicas.get(i), basis, nowNanos, consistency) == Exclusion.NONE) {
                eligible++;
            }
        }
        if (eligible == 0) {
            return null;
        }
        int pick = loadBalance == LoadBalance.RANDOM
                ? random.nextInt(eligible)
                : (int) Math.floorMod(turn.getAndIncrement(), (long) eligible);
        // The snapshot, the clock reading and the consistency are the same as in the first pass,
        // so the same replicas are eligible and the pick-th one exists.
        for (int i = 0; i < n; i++) {
            NodeState r = replicas.get(i);
            if (exclusion(r, basis, nowNanos, consistency) == Exclusion.NONE && pick-- == 0) {
                return r;
            }
        }
        throw new AssertionError("eligible replica " + pick + " vanished from an immutable snapshot");
    }

    /** Why a node is not eligible for reads, {@link Exclusion#NONE} if it is. */
    private Exclusion exclusion(NodeState r, ReadBasis basis, long nowNanos, ReadConsistency consistency) {
        if (!r.up()) {
            return Exclusion.DOWN;
        }
        if (r.refused()) {
            return Exclusion.REFUSED;
        }
        if (r.role() != NodeRole.REPLICA) {
            return Exclusion.NOT_A_REPLICA;
        }
        if (basis.isNone()) {
            return Exclusion.NO_WRITE_TARGET;
        }
        if (r.timeline() == 0 || r.timeline() != basis.timeline()) {
            return Exclusion.TIMELINE;
        }
        if (r.lsn() < 0) {
            return Exclusion.LSN_UNKNOWN;
        }
        long lag = basis.conservativeLagNanos(r.lsn(), nowNanos);
        if (lag == Long.MAX_VALUE) {
            return Exclusion.LAG_UNKNOWN;
        }
        if (lag > maxLagNanos) {
            return Exclusion.LAG;
        }
        if (maxLagBytes >= 0 && basis.latestLsn() - r.lsn() > maxLagBytes) {
            return Exclusion.LAG_BYTES;
        }
        if (consistency.hasWrite() && !basis.covers(r.lsn(), consistency.lastWriteAckNanos())) {
            return Exclusion.NOT_CAUGHT_UP;
        }
        if (consistency.minLsn() >= 0 && r.lsn() < consistency.minLsn() || r.timeline() < consistency.minTimeline()) {
            return Exclusion.BEHIND_TOKEN;
        }
        return Exclusion.NONE;
    }

    private static NodeState writeTarget(Topology topology) throws SQLException {
        WriteTarget target = topology.writeTarget();
        if (target.isOk()) {
            return target.node();
        }
        throw noWriteTarget(topology);
    }

    private static SQLException noPrimary(Topology topology) {
        StringBuilder message = new StringBuilder(128)
                .append("no usable primary: no node is up, accepted (same system identifier) and primary; nodes: ");
        appendNodes(message, topology.nodes());
        return new java.sql.SQLTransientConnectionException(message.toString(), PghaSqlState.NO_PRIMARY);
    }

    private static SQLException splitBrain(WriteTarget target) {
        StringBuilder message = new StringBuilder(128).append("split brain: ").append(target.conflicting().size())
                .append(" nodes are primary and none is on a higher timeline than the others: ");
        String separator = "";
        for (NodeState n : target.conflicting()) {
            message.append(separator).append(n.host()).append(" on timeline ")
                    .append(n.timeline() == 0 ? "unknown" : Integer.toString(n.timeline()));
            separator = ", ";
        }
        message.append("; writes are refused until only one remains primary");
        return new java.sql.SQLTransientConnectionException(message.toString(), PghaSqlState.SPLIT_BRAIN);
    }

    private static SQLException diverged(WriteTarget target) {
        return new org.pgha.driver.HistoryDivergedException("history diverged: " + target.mark().describe(target.behind())
                + ". Writes and reads are refused until " + target.mark().primary() + " is primary again, or the"
                + " application accepts this history (acceptDivergedHistory() on the DataSource, or"
                + " followDivergedHistory=true)");
    }

    private static SQLException noWriteTarget(Topology topology) {
        WriteTarget target = topology.writeTarget();
        switch (target.status()) {
            case SPLIT_BRAIN:
                return splitBrain(target);
            case DIVERGED:
                return diverged(target);
            default:
                return noPrimary(topology);
        }
    }

    private SQLException noReplica(Topology topology, long nowNanos, ReadConsistency consistency) {
        WriteTarget target = topology.writeTarget();
        NodeState primary = target.isOk() ? target.node() : null;
        ReadBasis basis = topology.readBasis();
        StringBuilder message = new StringBuilder(256).append("no replica within the lag bound of ")
                .append(millis(maxLagNanos));
        if (maxLagBytes >= 0) {
            message.append(" and ").append(maxLagBytes).append(" bytes");
        }
        message.append(" (readFallback=").append(readFallback.value()).append(')');
        if (basis.isNone()) {
            message.append("; writes: ").append(target).append(", so no replica's lag can be bounded");
        } else if (basis.primaryLost()) {
            message.append("; writes: ").append(target).append(", lag bounded by the last primary's samples")
                    .append(basis.witnesses().isEmpty() ? " only" : " and its synchronous standby's");
        }
        message.append(": ");
        String separator = "";
        for (NodeState n : topology.nodes()) {
            if (primary != null && n.host().equals(primary.host())) {
                continue;
            }
            message.append(separator).append(n.host()).append(' ');
            if (topology.drained().contains(n.host()) && n.up()) {
                message.append("drained: Patroni lists it as leaving, or tagged noloadbalance");
            } else {
                explain(message, n, basis, nowNanos, consistency);
            }
            separator = "; ";
        }
        if (topology.nodes().size() == 1 && primary != null) {
            message.append("there is no node besides the primary");
        }
        SQLException failure = new java.sql.SQLTransientConnectionException(message.toString(), PghaSqlState.NO_REPLICA_WITHIN_LAG);
        if (primary == null) {
            failure.initCause(noWriteTarget(topology));
        }
        return failure;
    }

    private void explain(StringBuilder message, NodeState n, ReadBasis basis, long nowNanos,
            ReadConsistency consistency) {
        Exclusion why = exclusion(n, basis, nowNanos, consistency);
        switch (why) {
            case DOWN:
                message.append("down");
                if (n.lastError() != null) {
                    message.append(" (").append(n.lastError()).append(')');
                }
                break;
            case REFUSED:
                message.append("refused: different system identifier, another cluster");
                break;
            case NOT_A_REPLICA:
                message.append(n.role() == NodeRole.PRIMARY
                        ? "primary but not the write target (timeline " + timeline(n.timeline()) + ")"
                        : "role " + n.role());
                break;
            case NO_WRITE_TARGET:
                message.append("replica, but no usable primary to bound its lag against");
                break;
            case TIMELINE:
                message.append("on timeline ").append(timeline(n.timeline())).append(", not the primary's ")
                        .append(timeline(basis.timeline()));
                break;
            case LSN_UNKNOWN:
                message.append("replay LSN unknown");
                break;
            case LAG_UNKNOWN:
                message.append("lag unknown: replay LSN ").append(Lsn.format(n.lsn()));
                if (basis.isEmpty()) {
                    message.append(", no history of the current primary yet");
                } else {
                    message.append(" is below all ").append(basis.primaryHistory().size()).append(" retained primary samples");
                    if (!basis.witnesses().isEmpty()) {
                        message.append(" and synchronous standby samples");
                    }
                }
                break;
            case LAG:
                message.append("lag ").append(millis(basis.conservativeLagNanos(n.lsn(), nowNanos))).append(" > ")
                        .append(millis(maxLagNanos));
                break;
            case LAG_BYTES:
                message.append("behind by ").append(basis.latestLsn() - n.lsn()).append(" bytes > ")
                        .append(maxLagBytes);
                break;
            case NOT_CAUGHT_UP:
                message.append("not caught up with this session's write: replay LSN ").append(Lsn.format(n.lsn()))
                        .append(" has no primary sample sent after the write at or below it");
                break;
            case BEHIND_TOKEN:
                message.append("behind token: replay LSN ").append(Lsn.format(n.lsn())).append(" on timeline ")
                        .append(n.timeline()).append(", token ").append(Lsn.format(consistency.minLsn()))
                        .append(" on timeline ").append(consistency.minTimeline());
                break;
            default:
                // Eligible now although the choice found none: only possible if the caller's
                // snapshot changed under it, which an immutable Topology rules out.
                message.append("eligible");
        }
    }

    private static void appendNodes(StringBuilder message, List<NodeState> nodes) {
        String separator = "";
        for (NodeState n : nodes) {
            message.append(separator).append(n);
            separator = "; ";
        }
    }

    private static String timeline(int timeline) {
        return timeline == 0 ? "unknown" : Integer.toString(timeline);
    }

    /** Nanoseconds as milliseconds, whole when exact ({@code 1500ms}), else to the microsecond. */
    private static String millis(long nanos) {
        if (nanos == Long.MAX_VALUE) {
            return "unbounded";
        }
        if (nanos % 1_000_000 == 0) {
            return nanos / 1_000_000 + "ms";
        }
        return String.format(Locale.ROOT, "%.3fms", nanos / 1e6);
    }

    /** Why a node cannot serve a read; the first failing rule, in the order of the class doc. */
    private enum Exclusion {
        NONE,
        DOWN,
        REFUSED,
        NOT_A_REPLICA,
        NO_WRITE_TARGET,
        TIMELINE,
        LSN_UNKNOWN,
        LAG_UNKNOWN,
        LAG,
        LAG_BYTES,
        NOT_CAUGHT_UP,
        BEHIND_TOKEN
    }
}
