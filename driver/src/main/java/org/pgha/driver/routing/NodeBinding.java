package org.pgha.driver.routing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.pgha.driver.FailoverTimeoutException;
import org.pgha.driver.PghaSqlState;
import org.pgha.driver.ReadFallback;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.topology.ClusterView;
import org.pgha.driver.topology.NodeConnections;
import org.pgha.driver.topology.NodeState;
import org.pgha.driver.topology.Rejection;
import org.pgha.driver.topology.Topology;
import org.pgha.driver.topology.WriteTarget;
import org.pgha.driver.PghaProperty;

/**
 * The node one logical connection is bound to, and its physical connection there: chosen by
 * the {@link Router} where a transaction starts, held while the node still qualifies, waited
 * for while a failover is under way (up to {@code failoverTimeout}), dropped when the node is
 * lost. It knows nothing of transactions: what is at stake when a node is lost is the
 * failover path's business.
 *
 * <p>Like the logical connection it serves, it is meant for one thread at a time.
 */
public final class NodeBinding {

    /** What the logical connection does to the session of each physical connection it binds. */
    public interface Session {
        /**
         * Applies the logical connection's session state to a physical connection about to be
         * bound, with the read-only flag it is bound with.
         */
        void applyTo(Connection physical, boolean readOnly) throws SQLException;

        /**
         * A new physical connection was bound: the session's record of what SQL did to the
         * previous one starts afresh.
         */
        void bound();

        /**
         * Before a reusable physical connection goes back: undoes what was done to its session.
         *
         * @return false if it must not be reused (discarded instead)
         */
        boolean resetForReuse(Connection physical);
    }

    /** Fails if the logical connection was closed meanwhile. */
    @FunctionalInterface
    public interface OpenCheck {
        void check() throws SQLException;
    }

    private final ClusterView monitor;
    private final Router router;
    private final NodeConnections connections;
    private final PghaConfig config;
    private final Predicate<SQLException> nodeLost;
    private final Session session;
    private final OpenCheck open;

    private Connection physical;
    private NodeState node;
    private RoutingIntent intent;
    private boolean physicalReadOnly;
    /**
     * The physical connection was lost with work on it: the wait for a usable node is bounded
     * by {@code failoverTimeout}, not by a pool's borrow timeout.
     */
    private boolean recovering;

    /**
     * @param nodeLost whether a failure to connect or to set up a session means the node (or the
     *     connection to it) was lost, so that waiting for the monitor can help
     */
    public NodeBinding(ClusterView monitor, Router router, NodeConnections connections, PghaConfig config,
                       Predicate<SQLException> nodeLost, Session session, OpenCheck open) {
        this.monitor = monitor;
        this.router = router;
        this.connections = connections;
        this.config = config;
        this.nodeLost = nodeLost;
        this.session = session;
        this.open = open;
    }

    /** The bound physical connection, or null. */
    public Connection physical() {
        return physical;
    }

    /** The node bound (or last bound), or null. */
    public NodeState node() {
        return node;
    }

    /** Whether a physical connection is bound. */
    public boolean isBound() {
        return physical != null;
    }

    /** Whether the binding was made for writes, that is, to the primary. */
    public boolean forWrites() {
        return intent == RoutingIntent.WRITE;
    }

    /**
     * Binds a node for the intent, unless the bound one still qualifies: waits for a usable node
     * while a failover is under way (see {@link #waitLimit()}), and fails at once when every
     * node rejects the client.
     *
     * @param readOnly the read-only flag the physical connection must have
     * @throws FailoverTimeoutException if no usable node came within the wait
     */
    public void route(RoutingIntent wanted, boolean readOnly, ReadConsistency consistency) throws SQLException {
        Topology topology = monitor.topology();
        long now = monitor.nanoTime();
        if (physical != null && wanted == intent
                && router.stillQualifies(wanted, node.host(), topology, now, consistency)
                && syncedReadOnly(readOnly)) {
            return;
        }
        long deadline = 0;
        Duration wait = null; // set once waiting starts
        SQLException last = null;
        while (true) {
            NodeState target = null;
            try {
                target = router.choose(wanted, topology, now, consistency);
            } catch (SQLException e) {
                String state = e.getSQLState();
                if (!PghaSqlState.NO_PRIMARY.equals(state) && !PghaSqlState.SPLIT_BRAIN.equals(state)
                        && !PghaSqlState.HISTORY_DIVERGED.equals(state) && !awaitsReplica(e)) {
                    throw e;
                }
                rejectedEverywhere(topology);
                last = e;
            }
            if (target != null && !monitor.isSuspect(target)) {
                SQLException failure = bind(target, wanted, readOnly);
                if (failure == null) {
                    return;
                }
                last = failure;
            }
            // A failover is under way, or the chosen node just failed: wait for the monitor.
            if (wait == null) {
                wait = awaitsReplica(last) ? config.duration(PghaProperty.READ_WAIT_TIMEOUT) : waitLimit();
                deadline = now + wait.toNanos();
                monitor.requestProbe();
            }
            if (now - deadline >= 0) {
                if (last != null && PghaSqlState.HISTORY_DIVERGED.equals(last.getSQLState())) {
                    // Waiting did not bring the newer history back: only the operator can judge.
                    throw last;
                }
                if (awaitsReplica(last)) {
                    throw new SQLTransientConnectionException(last.getMessage() + "; waited readWaitTimeout ("
                            + wait.toMillis() + " ms)", last.getSQLState(), last.getCause());
                }
                throw failoverTimeout(wanted, topology, last, wait);
            }
            topology = monitor.awaitChange(topology, deadline);
            now = monitor.nanoTime();
            open.check();
        }
    }

    /**
     * Binds the target, or returns why it could not: a node that failed to connect becomes
     * suspect and the caller waits; any other failure (credentials, ...) is thrown.
     */
    private SQLException bind(NodeState target, RoutingIntent wanted, boolean readOnly) throws SQLException {
        if (physical != null && target.host().equals(node.host())) {
            if (!syncedReadOnly(readOnly)) {
                return new SQLException("The connection to " + target.host() + " was lost", "08006");
            }
            node = target;
            intent = wanted;
            return null;
        }
        Connection fresh;
        try {
            fresh = connections.acquire(target.host());
        } catch (SQLException e) {
            return suspectOrThrow(target, e);
        }
        try {
            session.applyTo(fresh, readOnly);
        } catch (SQLException e) {
            connections.release(target.host(), fresh);
            return suspectOrThrow(target, e);
        }
        // Tracked first, then the target read again: the monitor publishes a new write target
        // before it aborts the old one's connections, so a connection made to the old primary
        // meanwhile is either aborted by it or seen here.
        monitor.track(target.host(), fresh);
        if (wanted == RoutingIntent.WRITE && !isWriteTarget(target.host())) {
            monitor.untrack(target.host(), fresh);
            connections.discard(target.host(), fresh);
            return new SQLException("The primary " + target.host() + " no longer takes writes", "08006");
        }
        // The old connection is reset (or closed) by what was done on it; only then does the
        // session's record start afresh for the new one.
        release();
        session.bound();
        recovering = false;
        physical = fresh;
        node = target;
        intent = wanted;
        physicalReadOnly = readOnly;
        return null;
    }

    /** Whether {@code failure} is a read that waits for a replica within the bound ({@code readFallback=wait}). */
    private boolean awaitsReplica(SQLException failure) {
        return failure != null && PghaSqlState.NO_REPLICA_WITHIN_LAG.equals(failure.getSQLState())
                && router.readFallback() == ReadFallback.WAIT;
    }

    private SQLException suspectOrThrow(NodeState target, SQLException e) throws SQLException {
        if (!nodeLost.test(e)) {
            throw e;
        }
        monitor.suspect(target.host());
        return e;
    }

    /**
     * Brings the bound physical connection's read-only flag in line, between transactions.
     * Returns false if the connection was lost doing so: it is dropped (nothing was at stake),
     * and the caller routes afresh.
     */
    private boolean syncedReadOnly(boolean readOnly) throws SQLException {
        if (physicalReadOnly != readOnly) {
            try {
                physical.setReadOnly(readOnly);
            } catch (SQLException e) {
                failed(e);
                if (!nodeLost.test(e)) {
                    throw e;
                }
                dropLostNode();
                return false;
            }
            physicalReadOnly = readOnly;
        }
        return true;
    }

    /** The read-only flag was set on the bound physical connection inside a transaction. */
    public void readOnlySet(boolean readOnly) {
        physicalReadOnly = readOnly;
    }

    /**
     * Every node failed its last probe and at least one rejected the client
     * ({@link Rejection#rejects}: a wrong password, a missing database, a TLS certificate that
     * fails verification, a host name that does not resolve): waiting for a failover would not
     * help, so the connection fails at once with the first rejection's SQLState and every
     * node's failure in its message.
     */
    private void rejectedEverywhere(Topology topology) throws SQLException {
        SQLException first = null;
        for (NodeState n : topology.nodes()) {
            SQLException failure = monitor.lastFailure(n.host());
            if (failure == null) {
                return;
            }
            if (first == null && Rejection.rejects(failure)) {
                first = failure;
            }
        }
        if (first == null) {
            return;
        }
        StringBuilder message = new StringBuilder("No node of the cluster can be used, and waiting would not help:");
        for (NodeState n : topology.nodes()) {
            SQLException failure = monitor.lastFailure(n.host());
            String kind = Rejection.rejectionCause(failure);
            message.append("\n  ").append(n.host()).append(": ").append(kind != null ? kind + ": " : "")
                    .append(failure.getMessage());
            if (failure.getSQLState() != null) {
                message.append(" (SQLState ").append(failure.getSQLState()).append(')');
            }
        }
        SQLException rejected = new SQLNonTransientConnectionException(message.toString(), first.getSQLState(), first);
        for (NodeState n : topology.nodes()) {
            SQLException failure = monitor.lastFailure(n.host());
            if (failure != first) {
                rejected.addSuppressed(failure);
            }
        }
        throw rejected;
    }

    /**
     * How long to wait for a usable node: {@code failoverTimeout}, or a pool's shorter borrow
     * timeout when this connection lost nothing.
     */
    private Duration waitLimit() {
        Duration failover = config.duration(PghaProperty.FAILOVER_TIMEOUT);
        Duration borrow = recovering ? null : connections.borrowTimeout();
        return borrow != null && borrow.compareTo(failover) < 0 ? borrow : failover;
    }

    /**
     * The failure of a wait for a usable node, naming what the wait was bounded by and every
     * node's state; each node's last failure is attached.
     */
    public FailoverTimeoutException failoverTimeout(RoutingIntent wanted, Topology topology, SQLException last,
                                                    Duration wait) {
        String waitName = wait.equals(config.duration(PghaProperty.FAILOVER_TIMEOUT)) ? "failoverTimeout" : "connectionTimeout";
        StringBuilder message = new StringBuilder("No usable ")
                .append(wanted == RoutingIntent.WRITE ? "primary" : "node")
                .append(" within ").append(waitName).append(" (").append(wait.toMillis()).append(" ms). Nodes:");
        for (NodeState n : topology.nodes()) {
            message.append("\n  ").append(n.host()).append(": ").append(n.up() ? "up" : "down").append(", ").append(n.role())
                    .append(", timeline ").append(n.timeline());
            if (n.lastError() != null) {
                message.append(", last error: ").append(n.lastError());
            }
        }
        FailoverTimeoutException timeout = new FailoverTimeoutException(message.toString(), last);
        for (NodeState n : topology.nodes()) {
            SQLException failure = monitor.lastFailure(n.host());
            if (failure != null && failure != last) {
                timeout.addSuppressed(failure);
            }
        }
        return timeout;
    }

    /**
     * Whether the bound physical connection can still be used: the monitor did not abort it
     * (its node went DOWN, or stopped taking writes) and it is not closed. A pooled
     * connection's proxy may not report an aborted connection closed, hence the tracking.
     */
    public boolean alive() throws SQLException {
        return monitor.isTracked(node.host(), physical) && !physical.isClosed();
    }

    /** Whether {@code host} is where writes go now: one volatile read, no allocation. */
    public boolean isWriteTarget(HostSpec host) {
        WriteTarget target = monitor.topology().writeTarget();
        return target.isOk() && target.node().host().equals(host);
    }

    /** Called with every SQLException a physical connection throws: connection trouble makes the monitor look at once. */
    public SQLException failed(SQLException e) {
        String state = e.getSQLState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P0"))) {
            monitor.requestProbe();
        }
        return e;
    }

    /**
     * Gives the bound physical connection back, its session reset first ({@link Session#resetForReuse});
     * one that cannot be reset, or whose session cannot be, is discarded.
     */
    public void release() {
        Connection old = physical;
        if (old != null) {
            physical = null;
            monitor.untrack(node.host(), old);
            if (connections.reusesConnections() && !session.resetForReuse(old)) {
                connections.discard(node.host(), old);
            } else {
                connections.release(node.host(), old);
            }
        }
    }

    /**
     * Drops the physical connection of a node that failed and avoids that node until it is
     * vouched for again; a pool drops the node's other connections made before, which may be
     * dead too (a reset of every connection), so that a retry does not draw them one by one.
     *
     * @return the node lost
     */
    public HostSpec dropLostNode() {
        HostSpec lost = node.host();
        discard();
        connections.connectionLost(lost);
        monitor.suspect(lost);
        return lost;
    }

    /** Drops a physical connection whose node failed: aborted, not closed, which would wait on it. */
    public void discard() {
        Connection old = physical;
        if (old != null) {
            recovering = true;
            physical = null;
            monitor.untrack(node.host(), old);
            try {
                old.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                // it is dead already
            }
            connections.discard(node.host(), old);
        }
    }

    /** {@link Connection#abort}: the physical connection is aborted and its pool slot given back, never reused. */
    public void abort(Executor executor) throws SQLException {
        Connection old = physical;
        physical = null;
        if (old != null) {
            monitor.untrack(node.host(), old);
            try {
                old.abort(executor);
            } finally {
                connections.discard(node.host(), old);
            }
        }
    }

    @Override
    public String toString() {
        return physical == null ? "unbound" : node.host() + " (" + node.role() + ")";
    }
}
