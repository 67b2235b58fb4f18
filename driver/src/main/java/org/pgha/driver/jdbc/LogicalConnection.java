package org.pgha.driver.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Struct;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.Executor;
import org.pgha.driver.FailoverTimeoutException;
import org.pgha.driver.FailureVerdict;
import org.pgha.driver.OutcomeUnknownException;
import org.pgha.driver.PghaConnection;
import org.pgha.driver.PghaSqlState;
import org.pgha.driver.SessionReset;
import org.pgha.driver.TransactionRolledBackException;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.topology.Rejection;
import org.pgha.driver.routing.ReadConsistency;
import org.pgha.driver.routing.Router;
import org.pgha.driver.routing.RoutingIntent;
import org.pgha.driver.topology.ClusterMonitor;
import org.pgha.driver.topology.Lsn;
import org.pgha.driver.topology.NodeState;
import org.pgha.driver.topology.Topology;
import org.pgha.driver.topology.WriteTarget;

/**
 * The connection an application holds: a cheap object that borrows a physical connection
 * from the node the router chooses, lazily, when a statement needs one.
 *
 * <p>Routing happens where a transaction starts: at the first statement after the
 * connection was opened, after a commit or rollback, or for every statement in autocommit
 * mode. {@code readOnly=false} goes to the primary; {@code readOnly=true} to a replica within
 * the lag bound (see {@link Router}). A connection stays on its node while that node still
 * qualifies, and never moves inside a transaction; changing {@code readOnly} between
 * transactions moves it at the next statement. Statements created earlier follow it: they are
 * re-created on the new physical connection with their settings and parameters.
 *
 * <p>Read-your-writes: once a statement on the primary is acknowledged (in autocommit mode,
 * when it returns; in a transaction, when the commit returns), this connection's reads go
 * only to replicas that have replayed past a primary position sampled after that moment.
 *
 * <p>Session state set through this object (autocommit, read-only, isolation, holdability,
 * catalog, schema, type map, client info, network timeout) is applied to every physical
 * connection it binds. Like a pgjdbc connection, it is meant for one thread at a time.
 */
public final class LogicalConnection implements Connection, PghaConnection {

    private final ClusterAccess access;
    private final Runnable onClose;
    private final boolean readYourWrites;
    private final boolean exactlyOnceAutocommit;
    private final boolean transactionReplay;
    /** {@code sessionReset=always}. */
    private final boolean resetAlways;
    /** The current transaction's statements, to replay it elsewhere; made at the first transaction. */
    private Journal journal;

    private boolean autoCommit = true;
    private boolean readOnly;
    private Integer isolation;
    private Integer holdability;
    private String catalog;
    private String schema;
    private Map<String, Class<?>> typeMap;
    /** Client info set through this connection; null until some is (most connections never do). */
    private Properties clientInfo;
    private int networkTimeoutMillis = -1;
    private Executor networkTimeoutExecutor;

    private Connection physical;
    private NodeState node;
    private RoutingIntent boundIntent;
    private boolean physicalReadOnly;
    /**
     * The physical connection was lost with work on it: the wait for a usable node is bounded
     * by {@code failoverTimeout}, not by a pool's borrow timeout.
     */
    private boolean recovering;
    /** The application unwrapped the physical connection: what it does there is not in the journal. */
    private boolean exposed;
    /** Autocommit is off and a statement ran since the last commit or rollback. */
    private boolean transactionActive;
    /** A statement ran on the primary in the current transaction. */
    private boolean writePending;
    private long lastWriteAckNanos = Long.MIN_VALUE;
    private long minLsn = -1;
    /** The timeline of the highest token given, 0 for none. */
    private int minTimeline;
    /** Statements that succeeded in the current transaction. */
    private int transactionStatements;
    /** What SQL did to the session: {@code SET} commands to re-run on a new physical connection, what to reset. */
    private final SessionState session = new SessionState();
    private volatile boolean closed;

    /** One autocommit write, run inside a transaction by {@link #exactlyOnce(Write)}. */
    @FunctionalInterface
    interface Write<R> {
        R run() throws SQLException;
    }

    /** Whether the next statement is an autocommit write to run exactly once. */
    boolean exactlyOnce() {
        return exactlyOnceAutocommit && autoCommit && !readOnly;
    }

    /**
     * Runs an autocommit write in a transaction of its own, committed through {@link #commit()},
     * which finds out after a failover whether it committed: if it surely did not, it runs again
     * (up to {@link #MAX_ATTEMPTS} times); only an outcome that cannot be found out is
     * {@link OutcomeUnknownException}.
     */
    <R> R exactlyOnce(Write<R> write) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            autoCommit = false;
            boolean done = false;
            try {
                onPhysical(c -> c.setAutoCommit(false));
                R result = write.run();
                commit();
                done = true;
                return result;
            } catch (TransactionRolledBackException e) {
                done = true;
                if (attempt >= MAX_ATTEMPTS) {
                    throw e;
                }
                access.metrics().retried();
            } finally {
                if (!done && physical != null && transactionActive) {
                    try {
                        physical.rollback();
                    } catch (SQLException ignored) {
                        // the statement's own failure is what the application sees
                    }
                }
                transactionEnded(false);
                autoCommit = true;
                if (physical != null) {
                    try {
                        physical.setAutoCommit(true);
                    } catch (SQLException ignored) {
                        // the next statement finds out
                    }
                }
            }
        }
    }

    /** How often one statement runs before a failure is final. */
    static final int MAX_ATTEMPTS = 3;

    public LogicalConnection(ClusterAccess access, Runnable onClose) {
        this.access = access;
        this.onClose = onClose;
        this.readYourWrites = access.config().readYourWrites();
        this.exactlyOnceAutocommit = access.config().exactlyOnceAutocommit();
        this.transactionReplay = access.config().transactionReplay();
        this.resetAlways = access.config().sessionReset() == SessionReset.ALWAYS;
    }

    // ------------------------------------------------------------------ routing

    /**
     * The physical connection for a statement, routing first where a transaction starts.
     *
     * @param execute whether a statement is about to run (which starts a transaction when
     *     autocommit is off), or only being created
     */
    Connection physicalFor(boolean execute) throws SQLException {
        checkOpen();
        if (physical != null && !alive()) {
            abandonClosedPhysical(null);
        }
        if (physical == null || !transactionActive) {
            route();
        }
        if (execute && !autoCommit && !transactionActive) {
            transactionActive = true;
            transactionStatements = 0;
            if (exposed) {
                notReplayable("the application unwrapped the physical connection");
            }
        }
        return physical;
    }

    private void route() throws SQLException {
        RoutingIntent intent = readOnly ? RoutingIntent.READ : RoutingIntent.WRITE;
        ClusterMonitor monitor = access.monitor();
        Topology topology = monitor.topology();
        long now = monitor.nanoTime();
        ReadConsistency consistency = consistency();
        if (physical != null && intent == boundIntent
                && access.router().stillQualifies(intent, node.host(), topology, now, consistency)
                && syncedReadOnly()) {
            return;
        }
        long deadline = 0;
        java.time.Duration wait = null; // set once waiting starts
        SQLException last = null;
        while (true) {
            NodeState target = null;
            try {
                target = access.router().choose(intent, topology, now, consistency);
            } catch (SQLException e) {
                String state = e.getSQLState();
                if (!PghaSqlState.NO_PRIMARY.equals(state) && !PghaSqlState.SPLIT_BRAIN.equals(state)
                        && !PghaSqlState.HISTORY_DIVERGED.equals(state)) {
                    throw e;
                }
                rejectedCredentials(topology);
                last = e;
            }
            if (target != null && !isSuspect(target)) {
                SQLException failure = bind(target, intent);
                if (failure == null) {
                    return;
                }
                last = failure;
            }
            // A failover is under way, or the chosen node just failed: wait for the monitor.
            if (wait == null) {
                wait = waitLimit();
                deadline = now + wait.toNanos();
                monitor.requestProbe();
            }
            if (now - deadline >= 0) {
                if (last != null && PghaSqlState.HISTORY_DIVERGED.equals(last.getSQLState())) {
                    // Waiting did not bring the newer history back: only the operator can judge.
                    throw last;
                }
                throw failoverTimeout(intent, topology, last, wait);
            }
            topology = monitor.awaitChange(topology, deadline);
            now = monitor.nanoTime();
            checkOpen();
        }
    }

    /**
     * Binds the target, or returns why it could not: a node that failed to connect becomes
     * suspect and the caller waits; any other failure (credentials, ...) is thrown.
     */
    private SQLException bind(NodeState target, RoutingIntent intent) throws SQLException {
        if (physical != null && target.host().equals(node.host())) {
            if (!syncedReadOnly()) {
                return new SQLException("The connection to " + target.host() + " was lost", "08006");
            }
            node = target;
            boundIntent = intent;
            return null;
        }
        Connection fresh;
        try {
            fresh = access.connections().acquire(target.host());
        } catch (SQLException e) {
            if (access.classifier().classify(e, false) != FailureVerdict.NODE_LOST) {
                throw e;
            }
            suspect(target.host());
            return e;
        }
        try {
            applySessionState(fresh);
        } catch (SQLException e) {
            access.connections().release(target.host(), fresh);
            if (access.classifier().classify(e, false) != FailureVerdict.NODE_LOST) {
                throw e;
            }
            suspect(target.host());
            return e;
        }
        // Tracked first, then the target read again: the monitor publishes a new write target
        // before it aborts the old one's connections, so a connection made to the old primary
        // meanwhile is either aborted by it or seen here.
        access.monitor().track(target.host(), fresh);
        if (intent == RoutingIntent.WRITE && !isWriteTarget(target.host())) {
            access.monitor().untrack(target.host(), fresh);
            access.connections().discard(target.host(), fresh);
            return new SQLException("The primary " + target.host() + " no longer takes writes", "08006");
        }
        // The old connection is reset (or closed) by what was done on it; only then does the
        // session's record start afresh for the new one.
        releasePhysical();
        session.bound();
        exposed = false;
        recovering = false;
        physical = fresh;
        node = target;
        boundIntent = intent;
        physicalReadOnly = readOnly;
        return null;
    }

    private void suspect(HostSpec host) {
        access.monitor().suspect(host);
    }

    private boolean isSuspect(NodeState target) {
        return access.monitor().isSuspect(target);
    }

    /**
     * Every node failed its last probe and at least one rejected the client
     * ({@link Rejection#rejects}: a wrong password, a missing database, a TLS
     * certificate that fails verification, a host name that does not resolve): waiting for a
     * failover would not help, so the connection fails at once with the first rejection's
     * SQLState and every node's failure in its message.
     */
    private void rejectedCredentials(Topology topology) throws SQLException {
        SQLException first = null;
        for (NodeState n : topology.nodes()) {
            SQLException failure = access.monitor().lastFailure(n.host());
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
            SQLException failure = access.monitor().lastFailure(n.host());
            String kind = Rejection.rejectionCause(failure);
            message.append("\n  ").append(n.host()).append(": ").append(kind != null ? kind + ": " : "")
                    .append(failure.getMessage());
            if (failure.getSQLState() != null) {
                message.append(" (SQLState ").append(failure.getSQLState()).append(')');
            }
        }
        SQLException rejected = new java.sql.SQLNonTransientConnectionException(message.toString(), first.getSQLState(), first);
        for (NodeState n : topology.nodes()) {
            SQLException failure = access.monitor().lastFailure(n.host());
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
    private java.time.Duration waitLimit() {
        java.time.Duration failover = access.config().failoverTimeout();
        java.time.Duration borrow = recovering ? null : access.connections().borrowTimeout();
        return borrow != null && borrow.compareTo(failover) < 0 ? borrow : failover;
    }

    private SQLException failoverTimeout(RoutingIntent intent, Topology topology, SQLException last, java.time.Duration wait) {
        String waitName = wait.equals(access.config().failoverTimeout()) ? "failoverTimeout" : "connectionTimeout";
        StringBuilder message = new StringBuilder("No usable ")
                .append(intent == RoutingIntent.WRITE ? "primary" : "node")
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
            SQLException failure = access.monitor().lastFailure(n.host());
            if (failure != null && failure != last) {
                timeout.addSuppressed(failure);
            }
        }
        return timeout;
    }

    private ReadConsistency consistency() {
        long writeAck = readYourWrites ? lastWriteAckNanos : Long.MIN_VALUE;
        if (writeAck == Long.MIN_VALUE && minLsn < 0 && minTimeline == 0) {
            return ReadConsistency.NONE;
        }
        return new ReadConsistency(writeAck, minLsn, minTimeline);
    }

    /**
     * Brings the bound physical connection's read-only flag in line, between transactions.
     * Returns false if the connection was lost doing so: it is dropped (nothing was at stake),
     * and the caller routes afresh.
     */
    private boolean syncedReadOnly() throws SQLException {
        if (physicalReadOnly != readOnly) {
            try {
                physical.setReadOnly(readOnly);
            } catch (SQLException e) {
                if (!recoverFromLostCall(e)) {
                    throw e;
                }
                return false;
            }
            physicalReadOnly = readOnly;
        }
        return true;
    }

    /**
     * After a connection-level call on the bound physical connection failed: if its node or
     * connection was lost, drops it (replaying the transaction if work of it was at stake) and
     * returns true, so the caller makes the call again on the next physical connection;
     * otherwise returns false and the failure is the application's.
     */
    boolean recoverFromLostCall(SQLException e) throws SQLException {
        failed(e);
        if (physical == null || !nodeLost(e)) {
            return false;
        }
        abandonClosedPhysical(e);
        return true;
    }

    private void applySessionState(Connection c) throws SQLException {
        // Set only what differs: a pool's proxy marks what is set, and resets it on return.
        if (c.getAutoCommit() != autoCommit) {
            c.setAutoCommit(autoCommit);
        }
        if (c.isReadOnly() != readOnly) {
            c.setReadOnly(readOnly);
        }
        if (isolation != null) {
            c.setTransactionIsolation(isolation);
        }
        if (holdability != null) {
            c.setHoldability(holdability);
        }
        if (catalog != null) {
            c.setCatalog(catalog);
        }
        if (schema != null) {
            c.setSchema(schema);
        }
        if (typeMap != null) {
            c.setTypeMap(typeMap);
        }
        if (clientInfo != null) {
            c.setClientInfo(clientInfo);
        }
        if (networkTimeoutMillis >= 0) {
            c.setNetworkTimeout(networkTimeoutExecutor, networkTimeoutMillis);
        }
        if (session.hasCommands()) {
            try (Statement s = c.createStatement()) {
                for (String command : session.commands()) {
                    s.execute(command);
                }
            }
            if (!autoCommit) {
                c.commit();
            }
        }
    }

    private void releasePhysical() {
        Connection old = physical;
        if (old != null) {
            physical = null;
            access.monitor().untrack(node.host(), old);
            if (access.connections().reusesConnections() && (session.prepared() || !resetSession(old))) {
                access.connections().discard(node.host(), old);
            } else {
                access.connections().release(node.host(), old);
            }
        }
        transactionActive = false;
        writePending = false;
    }

    /**
     * Before a pooled physical connection goes back: what this connection did to its session
     * is undone ({@link SessionState#RESET}: settings, role and session authorization,
     * {@code application_name} as at login, advisory locks, listens, temporary tables, held
     * cursors), so the next borrower gets the pool's session. With {@code sessionReset=changed}
     * only when SQL or client info changed the session; with {@code always} every time.
     * Returns false if that failed: the connection must not be reused.
     */
    private boolean resetSession(Connection c) {
        if (!resetAlways && !session.changed() && clientInfo == null) {
            return true;
        }
        try (Statement s = c.createStatement()) {
            if (!c.getAutoCommit()) {
                c.rollback();
            }
            s.execute(SessionState.RESET);
            if (!c.getAutoCommit()) {
                c.commit();
            }
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * Whether the bound physical connection can still be used: the monitor did not abort it
     * (its node went DOWN, or stopped taking writes) and it is not closed. A pooled
     * connection's proxy may not report an aborted connection closed, hence the tracking.
     */
    private boolean alive() throws SQLException {
        return access.monitor().isTracked(node.host(), physical) && !physical.isClosed();
    }

    /**
     * The bound physical connection is gone (the monitor aborted it, or a call on it failed
     * with {@code failure}): drop it before anything more is sent, so the next statement goes
     * to a usable node with no doubt about its outcome. With no work of the transaction at
     * stake that is all; a transaction that had done work there is replayed on a usable node
     * (or rolled back with {@link TransactionRolledBackException}).
     */
    private void abandonClosedPhysical(SQLException failure) throws SQLException {
        boolean lostWork = transactionActive && transactionStatements > 0;
        HostSpec lost = dropLostNode();
        transactionActive = false;
        if (lostWork) {
            replay(lost, failure != null ? failure
                    : new SQLException("The connection to " + lost + " was closed: its node went down or stopped taking writes", "08006"));
        }
    }

    /** A call on a physical connection. */
    @FunctionalInterface
    private interface PhysicalCall<T> {
        T on(Connection c) throws SQLException;
    }

    /** A call on a physical connection that returns nothing. */
    @FunctionalInterface
    private interface PhysicalAction {
        void on(Connection c) throws SQLException;
    }

    /**
     * Applies a connection-level call (a session setting, an empty commit, a warning read) to
     * the bound physical connection, if one is bound; the caller keeps the state itself, and
     * every physical connection bound later gets it. A node lost before or during the call
     * costs the application nothing when no work of the transaction is at stake: the physical
     * connection is dropped and the call is done. With work at stake, the transaction is
     * replayed on a usable node first, and the call is made there. Setters check for a bound
     * connection before they call it, so that the common unbound path makes no lambda.
     */
    private void onPhysical(PhysicalAction action) throws SQLException {
        fromPhysical(c -> {
            action.on(c);
            return null;
        }, false);
    }

    /**
     * Makes a connection-level call on a physical connection: the bound one, or with
     * {@code bind} one routed to now (waiting for a usable node as a statement would). A node
     * lost before or during the call is handled as in {@link #onPhysical}, and the call is made
     * again on the next physical connection; without {@code bind} and with none bound, returns
     * null.
     */
    private <T> T fromPhysical(PhysicalCall<T> call, boolean bind) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            Connection c;
            if (bind) {
                c = physicalFor(false);
            } else {
                if (physical != null && !alive()) {
                    abandonClosedPhysical(null);
                }
                c = physical;
                if (c == null) {
                    return null;
                }
            }
            try {
                return call.on(c);
            } catch (SQLException e) {
                if (attempt >= MAX_ATTEMPTS || !recoverFromLostCall(e)) {
                    throw e;
                }
            }
        }
    }

    /**
     * Whether a connection-level call failed because its node or connection was lost. Some
     * calls wrap the reason without a SQLState of their own ({@code setClientInfo} throws a
     * {@link SQLClientInfoException} around pgjdbc's "connection closed").
     */
    private boolean nodeLost(SQLException e) {
        SQLException reason = e.getSQLState() == null && e.getCause() instanceof SQLException ? (SQLException) e.getCause() : e;
        return access.classifier().classify(reason, false) == FailureVerdict.NODE_LOST;
    }

    /**
     * Drops the physical connection of a node that failed and avoids that node until it is
     * vouched for again; a pool drops the node's other connections made before, which may be
     * dead too (a reset of every connection), so that a retry does not draw them one by one.
     */
    private HostSpec dropLostNode() {
        HostSpec lost = node.host();
        discardPhysical();
        access.connections().connectionLost(lost);
        suspect(lost);
        return lost;
    }

    /** Drops a physical connection whose node failed: aborted, not closed, which would wait on it. */
    private void discardPhysical() {
        Connection old = physical;
        if (old != null) {
            recovering = true;
            physical = null;
            access.monitor().untrack(node.host(), old);
            try {
                old.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                // it is dead already
            }
            access.connections().discard(node.host(), old);
        }
    }

    /** Called by statements after a statement returned without error. */
    void executed() {
        transactionStatements++;
        access.metrics().routed(node.host(), node.role());
        if (boundIntent == RoutingIntent.WRITE && !readOnly) {
            if (autoCommit) {
                lastWriteAckNanos = access.monitor().nanoTime();
            } else {
                writePending = true;
            }
        }
    }

    private Journal journal() {
        if (journal == null) {
            journal = new Journal(access.config().transactionReplayLimit(), access.config().transactionReplayMaxBytes());
        }
        return journal;
    }

    /** Called by the journal after each execution it replayed. */
    void replayed() {
        transactionStatements++;
        if (boundIntent == RoutingIntent.WRITE && !readOnly) {
            writePending = true;
        }
    }

    /**
     * Records a statement's execution in the journal when the transaction can be replayed, and
     * returns the result as the application gets it.
     */
    <R> R record(LogicalStatement statement, LogicalStatement.Execution<R> execution, R result, Statement physicalStatement)
            throws SQLException {
        if (transactionReplay && !autoCommit) {
            return journal().record(statement, execution, result, physicalStatement);
        }
        return statement.unrecorded(result);
    }

    /** Something that cannot be replayed happened in the current transaction. */
    void notReplayable(String why) {
        if (transactionReplay && !autoCommit && transactionActive) {
            journal().stop(why);
        }
    }

    /**
     * The transaction lost its node before its COMMIT succeeded, and nothing of it was
     * committed: runs it again from its journal on a usable node (waiting for one up to
     * {@code failoverTimeout}), so that it goes on there. Returns when the replayed transaction
     * gave every result the application saw; otherwise rolls back and throws
     * {@link TransactionRolledBackException}.
     */
    private void replay(HostSpec lost, SQLException failure) throws SQLException {
        String why = transactionReplay ? journal().notReplayable() : "transactionReplay is off";
        if (why != null) {
            transactionEnded(false);
            access.metrics().replayed("not_replayable");
            throw new TransactionRolledBackException("The connection to " + lost + " was lost inside a transaction and"
                    + " the transaction cannot be replayed (" + why + "); nothing of it was committed: run it again ("
                    + failure.getMessage() + ")", failure);
        }
        long deadline = access.monitor().nanoTime() + access.config().failoverTimeout().toNanos();
        for (int attempt = 1; ; attempt++) {
            transactionActive = false;
            try {
                Connection c = physicalFor(true);
                journal().replay(this, c);
                access.metrics().replayed("replayed");
                return;
            } catch (Journal.Mismatch m) {
                rollbackQuietly();
                transactionEnded(false);
                access.metrics().replayed("mismatch");
                throw new TransactionRolledBackException("The connection to " + lost + " was lost inside a transaction,"
                        + " and replaying it on " + node.host() + " did not give what the application had read: "
                        + m.getMessage() + ". Nothing of it was committed: run it again", failure);
            } catch (SQLException e) {
                FailureVerdict verdict = access.classifier().classify(e, true);
                boolean nodeLost = verdict == FailureVerdict.NODE_LOST || verdict == FailureVerdict.NOT_WRITABLE;
                if (nodeLost && physical != null) {
                    dropLostNode();
                }
                if (!nodeLost || e instanceof FailoverTimeoutException || attempt >= MAX_ATTEMPTS
                        || access.monitor().nanoTime() - deadline >= 0) {
                    rollbackQuietly();
                    transactionEnded(false);
                    access.metrics().replayed("failed");
                    TransactionRolledBackException rolledBack = new TransactionRolledBackException("The connection to "
                            + lost + " was lost inside a transaction, and replaying it failed (" + e.getMessage()
                            + "); nothing of it was committed: run it again", failure);
                    rolledBack.addSuppressed(e);
                    throw rolledBack;
                }
            }
        }
    }

    private void rollbackQuietly() {
        if (physical != null) {
            try {
                physical.rollback();
            } catch (SQLException ignored) {
                // the transaction ends with the connection anyway
            }
        }
    }

    private void transactionEnded(boolean committed) {
        if (committed && writePending) {
            lastWriteAckNanos = access.monitor().nanoTime();
        }
        session.transactionEnded(committed);
        if (journal != null) {
            journal.clear();
        }
        writePending = false;
        transactionActive = false;
        transactionStatements = 0;
    }

    /**
     * Looks at a statement's SQL after it succeeded: session {@code SET}, {@code RESET} and
     * {@code DISCARD} commands are recorded, to be run again on a new physical connection, and
     * any change to the session is undone before a pooled physical connection goes back.
     */
    void observed(String sql) {
        SessionCommand command = SessionCommand.of(sql);
        if (command.kind() != SessionCommand.Kind.NONE) {
            session.observed(command, !autoCommit);
        }
    }

    /**
     * What the application sees after its statement failed, or null to run it again. Node
     * trouble drops the physical connection, so the next attempt routes afresh:
     * <ul>
     *   <li>the first statement of a transaction, or an autocommit read: nothing was committed
     *       or can be lost, run it again;</li>
     *   <li>a write refused by a demoted primary (25006): nothing happened, run it again;</li>
     *   <li>a later statement of a transaction: the transaction is gone, {@link TransactionRolledBackException};</li>
     *   <li>an autocommit write: it may or may not have committed, {@link OutcomeUnknownException}.</li>
     * </ul>
     */
    SQLException afterFailure(SQLException failure, int attempt) {
        boolean believedPrimary = boundIntent == RoutingIntent.WRITE && !readOnly;
        FailureVerdict verdict = access.classifier().classify(failure, believedPrimary);
        if (verdict == FailureVerdict.APPLICATION || verdict == FailureVerdict.AUTHENTICATION || physical == null) {
            notReplayable("the application saw an error (SQLState " + failure.getSQLState() + ")");
            return failure;
        }
        HostSpec lost = dropLostNode();
        boolean firstOfTransaction = autoCommit || transactionStatements == 0;
        if (!firstOfTransaction) {
            if (attempt >= MAX_ATTEMPTS) {
                transactionEnded(false);
                return new TransactionRolledBackException("The connection to " + lost + " was lost inside a transaction"
                        + " again and again; nothing of it was committed: run it again (" + failure.getMessage() + ")",
                        failure);
            }
            try {
                replay(lost, failure);
            } catch (SQLException e) {
                return e;
            }
            // The transaction is back as it was: the statement that failed runs again in it.
            access.metrics().retried();
            return null;
        }
        transactionActive = false;
        if (attempt >= MAX_ATTEMPTS) {
            return failure;
        }
        if (!autoCommit || readOnly || verdict == FailureVerdict.NOT_WRITABLE) {
            access.metrics().retried();
            return null;
        }
        return new OutcomeUnknownException("The connection to " + lost + " was lost while an autocommit write was in"
                + " flight: it may or may not have committed. Check before writing again (" + failure.getMessage() + ")",
                failure);
    }

    /** Called with every SQLException a physical connection throws: connection trouble makes the monitor look at once. */
    SQLException failed(SQLException e) {
        String state = e.getSQLState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P0"))) {
            access.monitor().requestProbe();
        }
        return e;
    }

    private void checkOpen() throws SQLException {
        if (closed) {
            throw new SQLException("This connection has been closed.", "08003");
        }
    }

    // ------------------------------------------------------------------ PghaConnection

    @Override
    public String consistencyToken() throws SQLException {
        checkOpen();
        long lsn = Math.max(minLsn, 0);
        int timeline = minTimeline;
        if (lastWriteAckNanos != Long.MIN_VALUE) {
            Position written = primaryPositionAfterLastWrite();
            lsn = Math.max(lsn, written.lsn());
            timeline = Math.max(timeline, written.timeline());
        }
        return timeline > 0 ? Lsn.format(lsn) + "@" + timeline : Lsn.format(lsn);
    }

    /** A primary's WAL position and the timeline it is on (0 if unknown). */
    private record Position(long lsn, int timeline) {
    }

    /**
     * A primary WAL position at or after this connection's last acknowledged write: a sample the
     * monitor sent after it, or the primary's position now. A sample of a primary promoted since
     * covers the write as well: the new primary holds every commit the old one acknowledged (its
     * synchronous standby had them), below its promotion point. So when the primary is lost on
     * the way, this waits for the new one, up to {@code failoverTimeout}, as a statement would.
     */
    private Position primaryPositionAfterLastWrite() throws SQLException {
        ClusterMonitor monitor = access.monitor();
        long deadline = monitor.nanoTime() + access.config().failoverTimeout().toNanos();
        Topology topology = monitor.topology();
        while (true) {
            // The history is only ever the OK write target's, on its current timeline.
            OptionalLong sampled = topology.primaryHistory().lsnSentAfter(lastWriteAckNanos);
            if (sampled.isPresent()) {
                return new Position(sampled.getAsLong(), topology.writeTarget().node().timeline());
            }
            SQLException failure;
            try {
                return currentPrimaryPosition(topology);
            } catch (SQLException e) {
                if (!PghaSqlState.NO_PRIMARY.equals(e.getSQLState()) && !nodeLost(e)) {
                    throw e;
                }
                failure = e;
            }
            if (monitor.nanoTime() - deadline >= 0) {
                throw failoverTimeout(RoutingIntent.WRITE, topology, failure, access.config().failoverTimeout());
            }
            monitor.requestProbe();
            topology = monitor.awaitChange(topology, deadline);
            checkOpen();
        }
    }

    private Position currentPrimaryPosition(Topology topology) throws SQLException {
        if (physical != null && boundIntent == RoutingIntent.WRITE) {
            // A lost node is handled as for any connection-level call: the physical connection
            // is dropped, and a transaction with work at stake is replayed on the new primary
            // first (the position is then read there). With nothing at stake, none is bound
            // afterwards and the position is read from the primary below.
            Long lsn = fromPhysical(this::queryLsn, false);
            if (lsn != null) {
                return new Position(lsn, node.timeline());
            }
        }
        ClusterMonitor monitor = access.monitor();
        NodeState primary = access.router().choose(RoutingIntent.WRITE, topology, monitor.nanoTime(), ReadConsistency.NONE);
        Connection c = access.connections().acquire(primary.host());
        boolean healthy = false;
        try {
            long lsn = queryLsn(c);
            healthy = true;
            return new Position(lsn, primary.timeline());
        } finally {
            if (healthy) {
                access.connections().release(primary.host(), c);
            } else {
                access.connections().discard(primary.host(), c);
            }
        }
    }

    private long queryLsn(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    @Override
    public void setConsistencyToken(String token) throws SQLException {
        checkOpen();
        String text = token == null ? null : token.trim();
        try {
            int at = text == null ? -1 : text.indexOf('@');
            int timeline = 0;
            if (at >= 0) {
                timeline = Integer.parseInt(text.substring(at + 1));
                if (timeline < 1) {
                    throw new IllegalArgumentException("timeline " + timeline);
                }
                text = text.substring(0, at);
            }
            long lsn = Lsn.parse(text);
            minLsn = Math.max(minLsn, lsn);
            minTimeline = Math.max(minTimeline, timeline);
        } catch (IllegalArgumentException e) {
            throw new SQLException("Invalid consistency token '" + token + "': expected a value from consistencyToken(),"
                    + " such as 16/B374D848@2 (a WAL position and its timeline)", "22023", e);
        }
    }

    @Override
    public String currentNode() {
        NodeState n = node;
        return physical == null || n == null ? null : n.host().toString();
    }

    // ------------------------------------------------------------------ statements

    @Override
    public Statement createStatement() throws SQLException {
        return new LogicalStatement(this, c -> c.createStatement());
    }

    @Override
    public Statement createStatement(int resultSetType, int resultSetConcurrency) throws SQLException {
        return new LogicalStatement(this, c -> c.createStatement(resultSetType, resultSetConcurrency));
    }

    @Override
    public Statement createStatement(int resultSetType, int resultSetConcurrency, int resultSetHoldability) throws SQLException {
        return new LogicalStatement(this, c -> c.createStatement(resultSetType, resultSetConcurrency, resultSetHoldability));
    }

    @Override
    public PreparedStatement prepareStatement(String sql) throws SQLException {
        return new LogicalPreparedStatement(this, c -> c.prepareStatement(sql));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int resultSetType, int resultSetConcurrency) throws SQLException {
        return new LogicalPreparedStatement(this, c -> c.prepareStatement(sql, resultSetType, resultSetConcurrency));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int resultSetType, int resultSetConcurrency, int resultSetHoldability)
            throws SQLException {
        return new LogicalPreparedStatement(this,
                c -> c.prepareStatement(sql, resultSetType, resultSetConcurrency, resultSetHoldability));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int autoGeneratedKeys) throws SQLException {
        return new LogicalPreparedStatement(this, c -> c.prepareStatement(sql, autoGeneratedKeys));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int[] columnIndexes) throws SQLException {
        int[] copy = columnIndexes == null ? null : columnIndexes.clone();
        return new LogicalPreparedStatement(this, c -> c.prepareStatement(sql, copy));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, String[] columnNames) throws SQLException {
        String[] copy = columnNames == null ? null : columnNames.clone();
        return new LogicalPreparedStatement(this, c -> c.prepareStatement(sql, copy));
    }

    @Override
    public CallableStatement prepareCall(String sql) throws SQLException {
        return callable(fromPhysical(c -> c.prepareCall(sql), true));
    }

    @Override
    public CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency) throws SQLException {
        return callable(fromPhysical(c -> c.prepareCall(sql, resultSetType, resultSetConcurrency), true));
    }

    @Override
    public CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency, int resultSetHoldability)
            throws SQLException {
        return callable(fromPhysical(c -> c.prepareCall(sql, resultSetType, resultSetConcurrency, resultSetHoldability), true));
    }

    /**
     * A callable statement stays on the physical connection it was prepared on; it reports
     * this connection as its own, and its executions count for read-your-writes.
     */
    private CallableStatement callable(CallableStatement physicalCall) {
        return (CallableStatement) Proxy.newProxyInstance(CallableStatement.class.getClassLoader(),
                new Class<?>[] {CallableStatement.class}, (proxy, method, args) -> {
                    String name = method.getName();
                    if (name.equals("getConnection") && method.getParameterCount() == 0) {
                        return this;
                    }
                    try {
                        if (name.startsWith("execute")) {
                            physicalFor(true);
                            Object result = method.invoke(physicalCall, args);
                            executed();
                            notReplayable("it ran a callable statement");
                            return result;
                        }
                        return method.invoke(physicalCall, args);
                    } catch (InvocationTargetException e) {
                        Throwable cause = e.getCause();
                        throw cause instanceof SQLException ? failed((SQLException) cause) : cause;
                    }
                });
    }

    @Override
    public String nativeSQL(String sql) throws SQLException {
        return fromPhysical(c -> c.nativeSQL(sql), true);
    }

    // ------------------------------------------------------------------ transactions

    @Override
    public void setAutoCommit(boolean autoCommit) throws SQLException {
        checkOpen();
        if (autoCommit == this.autoCommit) {
            return;
        }
        if (autoCommit && transactionActive) {
            // Per JDBC, switching autocommit on commits the transaction in progress: through
            // commit(), so that a COMMIT whose answer is lost is resolved like any other.
            commit();
        }
        if (physical != null) {
            onPhysical(c -> c.setAutoCommit(autoCommit));
        }
        this.autoCommit = autoCommit;
        transactionEnded(autoCommit);
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        checkOpen();
        return autoCommit;
    }

    /**
     * Commits. A read-write transaction first reads its transaction id (one round trip), so
     * that if the node is lost during the COMMIT, the new primary can say whether it committed:
     * committed returns normally; surely not committed replays the transaction there and
     * commits it again (or throws {@link TransactionRolledBackException} when it cannot be
     * replayed); only an answer that cannot be had throws {@link OutcomeUnknownException}.
     */
    @Override
    public void commit() throws SQLException {
        checkOpen();
        if (autoCommit) {
            throw new SQLException("Cannot commit when autoCommit is enabled.", "25P01");
        }
        if (physical == null || !transactionActive) {
            // Nothing ran since the last commit or rollback: nothing can be lost either.
            onPhysical(Connection::commit);
            transactionEnded(true);
            return;
        }
        for (int attempt = 1; ; attempt++) {
            String xid = null;
            long insertLsn = -1;
            NodeState ranOn = node;
            if (writePending) {
                try (Statement s = physical.createStatement();
                     ResultSet rs = s.executeQuery("SELECT pg_current_xact_id_if_assigned()::text, pg_current_wal_insert_lsn()::text")) {
                    rs.next();
                    xid = rs.getString(1);
                    insertLsn = Lsn.parse(rs.getString(2));
                } catch (SQLException e) {
                    // Nothing was committed: the COMMIT was not sent.
                    replayAfterLoss(e, attempt);
                    continue;
                }
            }
            if (writePending && !isWriteTarget(node.host())) {
                // A newer primary is known (or none can be trusted): this transaction must not
                // commit here, where its writes would be lost. Nothing was committed: replay it.
                replayAfterLoss(new SQLException("The primary " + node.host() + " no longer takes writes: "
                        + access.monitor().topology().writeTarget(), "08006"), attempt);
                continue;
            }
            try {
                physical.commit();
            } catch (SQLException e) {
                FailureVerdict verdict = access.classifier().classify(e, true);
                if (verdict != FailureVerdict.NODE_LOST && verdict != FailureVerdict.NOT_WRITABLE) {
                    transactionEnded(false);
                    throw failed(e);
                }
                HostSpec lost = dropLostNode();
                if (xid == null) {
                    // No transaction id was assigned: the transaction wrote nothing, so there was
                    // nothing to lose.
                    transactionEnded(false);
                    return;
                }
                if (resolveCommit(new CommitInDoubt(xid, insertLsn, ranOn.host(), ranOn.timeline()), lost, e)) {
                    transactionEnded(true);
                    return;
                }
                if (attempt >= MAX_ATTEMPTS) {
                    transactionEnded(false);
                    throw new TransactionRolledBackException("The connection to " + lost + " was lost during COMMIT,"
                            + " and transaction " + xid + " did not commit on the primary " + node.host()
                            + ": nothing of it was committed; run it again (" + e.getMessage() + ")", e);
                }
                replay(lost, e);
                continue;
            }
            transactionEnded(true);
            return;
        }
    }

    /** Whether {@code host} is where writes go now: one volatile read, no allocation. */
    private boolean isWriteTarget(HostSpec host) {
        WriteTarget target = access.monitor().topology().writeTarget();
        return target.isOk() && target.node().host().equals(host);
    }

    /** The node was lost before COMMIT was sent: replays the transaction, or throws what the application sees. */
    private void replayAfterLoss(SQLException e, int attempt) throws SQLException {
        FailureVerdict verdict = access.classifier().classify(e, true);
        if (verdict != FailureVerdict.NODE_LOST && verdict != FailureVerdict.NOT_WRITABLE) {
            throw failed(e);
        }
        HostSpec lost = dropLostNode();
        if (attempt >= MAX_ATTEMPTS) {
            transactionEnded(false);
            throw new TransactionRolledBackException("The connection to " + lost + " was lost before COMMIT was sent;"
                    + " nothing of the transaction was committed: run it again (" + e.getMessage() + ")", e);
        }
        replay(lost, e);
    }

    /**
     * A transaction whose COMMIT lost its answer: its id, the WAL insert position just before
     * the COMMIT (every record of the transaction lies below it, its commit record above), and
     * the node and timeline it ran on.
     */
    private record CommitInDoubt(String xid, long insertLsn, HostSpec host, int timeline) {
    }

    /**
     * Asks the primary, after the failover, what became of the transaction.
     *
     * <p>Transaction ids are not unique across a promotion: a new primary that never received
     * a transaction's records can hand its id to a transaction of its own. So "committed" is
     * believed only when the answer comes from the node and timeline the transaction ran on,
     * or from a primary promoted from that timeline whose recovery replayed past the
     * transaction's records ({@code pg_last_wal_replay_lsn()} at or beyond the insert position
     * taken before the COMMIT): that primary knew the id, so it cannot have reused it. A primary
     * whose recovery ended below that position never had the commit record: rolled back.
     * "Aborted" (or an id the primary never reached) is always believed.
     *
     * @return true if it committed, false if it surely did not
     * @throws OutcomeUnknownException if that cannot be found out
     */
    private boolean resolveCommit(CommitInDoubt doubt, HostSpec lost, SQLException failure) throws SQLException {
        long deadline = access.monitor().nanoTime() + access.config().failoverTimeout().toNanos();
        boolean wasReadOnly = readOnly;
        readOnly = false;
        try {
            while (true) {
                String status;
                Verdict verdict;
                try {
                    Connection c = physicalFor(false);
                    verdict = trust(doubt, c);
                    status = verdict == Verdict.NEVER_REPLAYED ? "aborted" : xactStatus(c, doubt.xid());
                    c.rollback();
                } catch (FailoverTimeoutException e) {
                    transactionEnded(false);
                    throw outcomeUnknown(doubt.xid(), lost, failure, e);
                } catch (SQLException e) {
                    if (access.classifier().classify(e, true) != FailureVerdict.NODE_LOST
                            || access.monitor().nanoTime() - deadline >= 0) {
                        transactionEnded(false);
                        throw outcomeUnknown(doubt.xid(), lost, failure, e);
                    }
                    discardPhysical();
                    continue;
                }
                if ("committed".equals(status) && verdict != Verdict.UNTRUSTED) {
                    access.metrics().commitResolved("committed");
                    return true;
                }
                if ("in progress".equals(status) && access.monitor().nanoTime() - deadline < 0) {
                    // Still committing there (waiting for its synchronous standby, say): ask again.
                    pause(10);
                    continue;
                }
                if (status == null || "in progress".equals(status) || "committed".equals(status)) {
                    transactionEnded(false);
                    throw outcomeUnknown(doubt.xid(), lost, failure, null);
                }
                access.metrics().commitResolved("rolled_back");
                return false;
            }
        } finally {
            readOnly = wasReadOnly;
        }
    }

    /** How far the primary now bound can vouch for the transaction's id. */
    private enum Verdict {
        /** The node and timeline the transaction ran on, or one that replayed all its records. */
        TRUSTED,
        /** Its recovery ended before the transaction's commit record: it cannot have committed there. */
        NEVER_REPLAYED,
        /** Neither can be shown: a "committed" there may be another transaction with the same id. */
        UNTRUSTED
    }

    private Verdict trust(CommitInDoubt doubt, Connection c) throws SQLException {
        if (node.host().equals(doubt.host()) && node.timeline() == doubt.timeline()) {
            // The same node, unless it restarted and lost WAL it had not flushed (a host crash):
            // then the transaction's records are gone and its id may have been handed out again.
            long current;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                rs.next();
                current = Lsn.parse(rs.getString(1));
            }
            return current >= doubt.insertLsn() ? Verdict.TRUSTED : Verdict.NEVER_REPLAYED;
        }
        if (node.timeline() < doubt.timeline()) {
            // A primary on an older timeline never replayed a record of a newer one (a history
            // that diverged, accepted by the application): the transaction is not in it.
            return Verdict.NEVER_REPLAYED;
        }
        if (node.timeline() != doubt.timeline() + 1) {
            return Verdict.UNTRUSTED;
        }
        String replayed;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_last_wal_replay_lsn()::text")) {
            rs.next();
            replayed = rs.getString(1);
        }
        if (replayed == null) {
            return Verdict.UNTRUSTED;
        }
        return Lsn.parse(replayed) >= doubt.insertLsn() ? Verdict.TRUSTED : Verdict.NEVER_REPLAYED;
    }

    /**
     * {@code pg_xact_status} on the primary: {@code committed}, {@code aborted},
     * {@code in progress}, null when too old to tell, and {@code aborted} for an id the primary
     * never reached (an ERROR there: the transaction's records never got to it).
     */
    private static String xactStatus(Connection c, String xid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_xact_status(?::xid8)")) {
            ps.setString(1, xid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        } catch (SQLException e) {
            if ("22023".equals(e.getSQLState())) {
                c.rollback();
                return "aborted";
            }
            throw e;
        }
    }

    private static void pause(long millis) throws SQLException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("Interrupted while resolving a commit", "08006", e);
        }
    }

    private OutcomeUnknownException outcomeUnknown(String xid, HostSpec lost, SQLException failure, SQLException why) {
        access.metrics().commitResolved("unknown");
        OutcomeUnknownException unknown = new OutcomeUnknownException("The connection to " + lost + " was lost during"
                + " COMMIT and the outcome of transaction " + xid + " cannot be determined: check before running it"
                + " again (" + failure.getMessage() + ")", failure);
        if (why != null) {
            unknown.addSuppressed(why);
        }
        return unknown;
    }

    @Override
    public void rollback() throws SQLException {
        checkOpen();
        if (autoCommit) {
            throw new SQLException("Cannot rollback when autoCommit is enabled.", "25P01");
        }
        try {
            if (physical != null && !alive()) {
                // The server ends the transaction of a lost session: rolled back is what it is.
                dropLostNode();
            } else if (physical != null) {
                physical.rollback();
            }
        } catch (SQLException e) {
            if (!nodeLost(e)) {
                throw failed(e);
            }
            dropLostNode();
        } finally {
            transactionEnded(false);
        }
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        Savepoint savepoint = physicalFor(true).setSavepoint();
        // A savepoint ties the transaction to this physical connection: a later failure must
        // not be retried as if the transaction had just begun, nor replayed.
        transactionStatements++;
        notReplayable("it set a savepoint");
        return savepoint;
    }

    @Override
    public Savepoint setSavepoint(String name) throws SQLException {
        Savepoint savepoint = physicalFor(true).setSavepoint(name);
        transactionStatements++;
        notReplayable("it set a savepoint");
        return savepoint;
    }

    @Override
    public void rollback(Savepoint savepoint) throws SQLException {
        physicalFor(true).rollback(savepoint);
    }

    @Override
    public void releaseSavepoint(Savepoint savepoint) throws SQLException {
        physicalFor(true).releaseSavepoint(savepoint);
    }

    // ------------------------------------------------------------------ session state

    @Override
    public void setReadOnly(boolean readOnly) throws SQLException {
        checkOpen();
        if (physical != null && transactionActive && readOnly != this.readOnly) {
            // Inside a transaction the connection cannot move: the server decides, as with pgjdbc.
            onPhysical(c -> c.setReadOnly(readOnly));
            physicalReadOnly = readOnly;
        }
        this.readOnly = readOnly;
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        checkOpen();
        return readOnly;
    }

    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        checkOpen();
        if (physical != null) {
            onPhysical(c -> c.setTransactionIsolation(level));
        }
        isolation = level;
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        checkOpen();
        return isolation != null ? isolation : fromPhysical(Connection::getTransactionIsolation, true);
    }

    @Override
    public void setHoldability(int holdability) throws SQLException {
        checkOpen();
        if (physical != null) {
            onPhysical(c -> c.setHoldability(holdability));
        }
        this.holdability = holdability;
    }

    @Override
    public int getHoldability() throws SQLException {
        checkOpen();
        return holdability != null ? holdability : fromPhysical(Connection::getHoldability, true);
    }

    @Override
    public void setCatalog(String catalog) throws SQLException {
        checkOpen();
        if (physical != null) {
            onPhysical(c -> c.setCatalog(catalog));
        }
        this.catalog = catalog;
    }

    @Override
    public String getCatalog() throws SQLException {
        return fromPhysical(Connection::getCatalog, true);
    }

    @Override
    public void setSchema(String schema) throws SQLException {
        checkOpen();
        if (physical != null) {
            onPhysical(c -> c.setSchema(schema));
        }
        this.schema = schema;
    }

    @Override
    public String getSchema() throws SQLException {
        return fromPhysical(Connection::getSchema, true);
    }

    @Override
    public Map<String, Class<?>> getTypeMap() throws SQLException {
        checkOpen();
        return typeMap != null ? new HashMap<>(typeMap) : fromPhysical(Connection::getTypeMap, true);
    }

    @Override
    public void setTypeMap(Map<String, Class<?>> map) throws SQLException {
        checkOpen();
        if (physical != null) {
            onPhysical(c -> c.setTypeMap(map));
        }
        this.typeMap = map == null ? null : new HashMap<>(map);
    }

    @Override
    public void setClientInfo(String name, String value) throws SQLClientInfoException {
        clientInfoOnPhysical(c -> c.setClientInfo(name, value), Map.of(name, java.sql.ClientInfoStatus.REASON_UNKNOWN));
        if (clientInfo == null) {
            clientInfo = new Properties();
        }
        if (value == null) {
            clientInfo.remove(name);
        } else {
            clientInfo.setProperty(name, value);
        }
    }

    @Override
    public void setClientInfo(Properties properties) throws SQLClientInfoException {
        Map<String, java.sql.ClientInfoStatus> failed = new HashMap<>();
        if (properties != null) {
            properties.stringPropertyNames().forEach(n -> failed.put(n, java.sql.ClientInfoStatus.REASON_UNKNOWN));
        }
        clientInfoOnPhysical(c -> c.setClientInfo(properties), failed);
        clientInfo = new Properties();
        clientInfo.putAll(properties);
    }

    /** {@link #onPhysical} for {@code setClientInfo}, which may only throw {@link SQLClientInfoException}. */
    private void clientInfoOnPhysical(PhysicalAction action, Map<String, java.sql.ClientInfoStatus> properties)
            throws SQLClientInfoException {
        try {
            checkOpen();
            onPhysical(action);
        } catch (SQLClientInfoException e) {
            throw e;
        } catch (SQLException e) {
            throw new SQLClientInfoException(e.getMessage(), e.getSQLState(), properties, e);
        }
    }

    @Override
    public String getClientInfo(String name) throws SQLException {
        return fromPhysical(c -> c.getClientInfo(name), true);
    }

    @Override
    public Properties getClientInfo() throws SQLException {
        return fromPhysical(Connection::getClientInfo, true);
    }

    @Override
    public void setNetworkTimeout(Executor executor, int milliseconds) throws SQLException {
        checkOpen();
        if (milliseconds < 0) {
            throw new SQLException("Network timeout must be a value greater than or equal to 0.", "22023");
        }
        if (physical != null) {
            onPhysical(c -> c.setNetworkTimeout(executor, milliseconds));
        }
        networkTimeoutExecutor = executor;
        networkTimeoutMillis = milliseconds;
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        checkOpen();
        return networkTimeoutMillis >= 0 ? networkTimeoutMillis : fromPhysical(Connection::getNetworkTimeout, true);
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        checkOpen();
        return fromPhysical(Connection::getWarnings, false);
    }

    @Override
    public void clearWarnings() throws SQLException {
        checkOpen();
        onPhysical(Connection::clearWarnings);
    }

    // ------------------------------------------------------------------ the rest

    @Override
    public DatabaseMetaData getMetaData() throws SQLException {
        DatabaseMetaData metaData = fromPhysical(Connection::getMetaData, true);
        // pgjdbc's own metadata, reporting this connection as its connection.
        return (DatabaseMetaData) Proxy.newProxyInstance(DatabaseMetaData.class.getClassLoader(),
                new Class<?>[] {DatabaseMetaData.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getConnection") && method.getParameterCount() == 0) {
                        return this;
                    }
                    try {
                        return method.invoke(metaData, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Override
    public Clob createClob() throws SQLException {
        return fromPhysical(Connection::createClob, true);
    }

    @Override
    public Blob createBlob() throws SQLException {
        return fromPhysical(Connection::createBlob, true);
    }

    @Override
    public NClob createNClob() throws SQLException {
        return fromPhysical(Connection::createNClob, true);
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
        return fromPhysical(Connection::createSQLXML, true);
    }

    @Override
    public Array createArrayOf(String typeName, Object[] elements) throws SQLException {
        return fromPhysical(c -> c.createArrayOf(typeName, elements), true);
    }

    @Override
    public Struct createStruct(String typeName, Object[] attributes) throws SQLException {
        return fromPhysical(c -> c.createStruct(typeName, attributes), true);
    }

    @Override
    public boolean isValid(int timeout) throws SQLException {
        if (timeout < 0) {
            throw new SQLException("Invalid timeout (" + timeout + "<0).", "22023");
        }
        if (closed) {
            return false;
        }
        // Unbound, or bound to a node that was lost with nothing at stake: valid, since the next
        // statement binds a usable node (and waits for one during a failover). A lost node with
        // work at stake is not valid, and nothing is replayed here: the next statement does that.
        if (physical == null) {
            return true;
        }
        boolean valid;
        try {
            valid = alive() && physical.isValid(timeout);
        } catch (SQLException e) {
            valid = false;
        }
        if (valid) {
            return true;
        }
        if (transactionActive && transactionStatements > 0) {
            return false;
        }
        dropLostNode();
        return true;
    }

    @Override
    public void close() throws SQLException {
        if (closed) {
            return;
        }
        closed = true;
        releasePhysical();
        onClose.run();
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void abort(Executor executor) throws SQLException {
        if (closed) {
            return;
        }
        if (executor == null) {
            throw new SQLException("abort needs an Executor, not null", "22023");
        }
        closed = true;
        Connection old = physical;
        physical = null;
        if (old != null) {
            access.monitor().untrack(node.host(), old);
            try {
                old.abort(executor);
            } finally {
                // A pool's slot is given back: the aborted connection is evicted, never reused.
                access.connections().discard(node.host(), old);
            }
        }
        onClose.run();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        // What is done through pgjdbc's own connection is not in the journal.
        T unwrapped = fromPhysical(c -> c.unwrap(iface), true);
        exposed = true;
        notReplayable("the application unwrapped the physical connection");
        return unwrapped;
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || fromPhysical(c -> c.isWrapperFor(iface), true);
    }

    @Override
    public String toString() {
        return "pgha connection" + (physical == null ? " (unbound)" : " on " + node.host() + " (" + node.role() + ")");
    }
}
