package org.pgha.driver.failover;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.pgha.driver.FailoverTimeoutException;
import org.pgha.driver.FailureVerdict;
import org.pgha.driver.OutcomeUnknownException;
import org.pgha.driver.TransactionRolledBackException;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.metrics.ClusterMetrics;
import org.pgha.driver.routing.NodeBinding;
import org.pgha.driver.routing.ReadYourWrites;
import org.pgha.driver.routing.RoutingIntent;
import org.pgha.driver.topology.ClusterView;
import org.pgha.driver.topology.Lsn;
import org.pgha.driver.topology.NodeState;
import org.pgha.driver.PghaProperty;

/**
 * One logical connection's transaction, and what becomes of it when its node is lost. Read
 * top to bottom, a failover goes: a statement or call fails ({@link #afterFailure},
 * {@link #recoverFromLostCall}, or the monitor aborted the physical connection, found in
 * {@link #physicalFor}) → the failure is classified ({@link FailureClassifier}) → the lost node
 * is dropped and a usable node waited for ({@link NodeBinding#route}, up to
 * {@code failoverTimeout}) → the transaction is replayed there ({@link #replay}, from its
 * {@link Journal}) or, for a COMMIT whose answer was lost, its outcome is looked up
 * ({@link #commit}, {@link CommitOutcome}) → the replay is verified against everything the
 * application read ({@link ResultDigest}), or the transaction ends with
 * {@link TransactionRolledBackException}, or, when the outcome cannot be found out, with
 * {@link OutcomeUnknownException}.
 *
 * <p>The transaction's mode (autocommit, read-only) lives here too, since every step depends
 * on it. Like the logical connection it serves, this is meant for one thread at a time.
 */
public final class FailoverPath {

    /** How often one statement runs before a failure is final. */
    public static final int MAX_ATTEMPTS = 3;

    /** What the failover path needs of the logical connection. */
    public interface Owner {
        /** Fails if the logical connection was closed. */
        void checkOpen() throws SQLException;

        /** The transaction ended (committed or not): the session's record of it is settled. */
        void transactionEnded(boolean committed);
    }

    /** One autocommit write, run inside a transaction by {@link #exactlyOnce(Write)}. */
    @FunctionalInterface
    public interface Write<R> {
        R run() throws SQLException;
    }

    /** A connection-level call on a physical connection. */
    @FunctionalInterface
    public interface PhysicalCall<T> {
        T on(Connection c) throws SQLException;
    }

    private final NodeBinding binding;
    private final ClusterView monitor;
    private final FailureClassifier classifier;
    private final ClusterMetrics metrics;
    private final PghaConfig config;
    private final ReadYourWrites reads;
    private final CommitOutcome outcome;
    private final Owner owner;
    private final boolean exactlyOnceAutocommit;
    private final boolean transactionReplay;
    /** The current transaction's statements, to replay it elsewhere; made at the first transaction. */
    private Journal journal;

    private boolean autoCommit = true;
    private boolean readOnly;
    /** Autocommit is off and a statement ran since the last commit or rollback. */
    private boolean active;
    /** Statements that succeeded in the current transaction. */
    private int statements;
    /** A statement ran on the primary in the current transaction. */
    private boolean writePending;
    /** The application unwrapped the physical connection: what it does there is not in the journal. */
    private boolean exposed;
    /** The transaction's id and insert position, read along with one of its writes; null until then. */
    private CommitOutcome.InDoubt idRead;
    /** A statement ran on the primary since the transaction's id was last read (or found unassigned). */
    private boolean idUnread;

    public FailoverPath(NodeBinding binding, ClusterView monitor, FailureClassifier classifier, ClusterMetrics metrics,
                        PghaConfig config, ReadYourWrites reads, Owner owner) {
        this.binding = binding;
        this.monitor = monitor;
        this.classifier = classifier;
        this.metrics = metrics;
        this.config = config;
        this.reads = reads;
        this.outcome = new CommitOutcome(binding, classifier, monitor, metrics,
                config.duration(PghaProperty.FAILOVER_TIMEOUT));
        this.owner = owner;
        this.exactlyOnceAutocommit = config.flag(PghaProperty.EXACTLY_ONCE_AUTOCOMMIT);
        this.transactionReplay = config.flag(PghaProperty.TRANSACTION_REPLAY);
    }

    // ------------------------------------------------------------------ the transaction's mode

    public boolean autoCommit() {
        return autoCommit;
    }

    /**
     * Sets autocommit; switching it on commits the transaction in progress first, through
     * {@link #commit()}, so that a COMMIT whose answer is lost is resolved like any other.
     */
    public void autoCommit(boolean on) throws SQLException {
        if (on == autoCommit) {
            return;
        }
        if (on && active) {
            commit();
        }
        if (binding.isBound()) {
            call(c -> {
                c.setAutoCommit(on);
                return null;
            }, false);
        }
        autoCommit = on;
        transactionEnded(on);
    }

    public boolean readOnly() {
        return readOnly;
    }

    /**
     * Sets read-only. Inside a transaction the connection cannot move: the flag goes to the
     * physical connection and the server decides, as with pgjdbc. Between transactions the next
     * statement routes by it.
     */
    public void readOnly(boolean on) throws SQLException {
        if (binding.isBound() && active && on != readOnly) {
            call(c -> {
                c.setReadOnly(on);
                return null;
            }, false);
            binding.readOnlySet(on);
        }
        readOnly = on;
    }

    /** Whether a transaction has done work that would be lost with its node. */
    public boolean workAtStake() {
        return active && statements > 0;
    }

    // ------------------------------------------------------------------ the statement path

    /**
     * The physical connection for a statement, routing first where a transaction starts: at the
     * first statement after the connection was opened, after a commit or rollback, or for every
     * statement in autocommit mode. A physical connection the monitor aborted is dropped first
     * (replaying the transaction if work of it was at stake).
     *
     * @param execute whether a statement is about to run (which starts a transaction when
     *     autocommit is off), or only being created
     */
    public Connection physicalFor(boolean execute) throws SQLException {
        owner.checkOpen();
        if (binding.isBound() && !binding.alive()) {
            abandonLost(null);
        }
        if (!binding.isBound() || !active) {
            binding.route(readOnly ? RoutingIntent.READ : RoutingIntent.WRITE, readOnly, reads.consistency());
        }
        if (execute && !autoCommit && !active) {
            active = true;
            statements = 0;
            if (exposed) {
                notReplayable("the application unwrapped the physical connection");
            }
        }
        return binding.physical();
    }

    /** The binding bound a new physical connection: no transaction is active on it. */
    public void bound() {
        active = false;
        exposed = false;
    }

    /** The application unwrapped the physical connection: the current and next transactions cannot be replayed. */
    public void exposed() {
        exposed = true;
        notReplayable("the application unwrapped the physical connection");
    }

    /**
     * Makes a connection-level call on a physical connection: the bound one, or with
     * {@code bind} one routed to now (waiting for a usable node as a statement would). A node
     * lost before or during the call costs the application nothing when no work of the
     * transaction is at stake: the physical connection is dropped and the call is made again on
     * the next one. With work at stake, the transaction is replayed on a usable node first, and
     * the call is made there. Without {@code bind} and with none bound, returns null.
     */
    public <T> T call(PhysicalCall<T> call, boolean bind) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            Connection c;
            if (bind) {
                c = physicalFor(false);
            } else {
                if (binding.isBound() && !binding.alive()) {
                    abandonLost(null);
                }
                c = binding.physical();
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

    /** Whether the next statement is an autocommit write to run exactly once. */
    public boolean exactlyOnce() {
        return exactlyOnceAutocommit && autoCommit && !readOnly;
    }

    /**
     * Runs an autocommit write in a transaction of its own, committed through {@link #commit()},
     * which finds out after a failover whether it committed: if it surely did not, it runs again
     * (up to {@link #MAX_ATTEMPTS} times); only an outcome that cannot be found out is
     * {@link OutcomeUnknownException}.
     */
    public <R> R exactlyOnce(Write<R> write) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            autoCommit = false;
            boolean done = false;
            try {
                call(c -> {
                    c.setAutoCommit(false);
                    return null;
                }, false);
                R result = write.run();
                commit();
                done = true;
                return result;
            } catch (TransactionRolledBackException e) {
                done = true;
                if (attempt >= MAX_ATTEMPTS) {
                    throw e;
                }
                metrics.retried();
            } finally {
                Connection physical = binding.physical();
                if (!done && physical != null && active) {
                    try {
                        physical.rollback();
                    } catch (SQLException ignored) {
                        // the statement's own failure is what the application sees
                    }
                }
                transactionEnded(false);
                autoCommit = true;
                physical = binding.physical();
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

    /** A statement returned without error: it counts for the transaction and for read-your-writes. */
    public void executed() {
        statements++;
        NodeState node = binding.node();
        metrics.routed(node.host(), node.role());
        if (binding.forWrites() && !readOnly) {
            if (autoCommit) {
                reads.acknowledged(monitor.nanoTime());
            } else {
                writePending = true;
                idUnread = true;
            }
        }
    }

    /**
     * Whether the statement about to run on the bound connection should read the transaction's
     * id along ({@link TransactionIdQuery}): a transaction on the primary whose id is not known yet.
     */
    public boolean readsTransactionId() {
        return !autoCommit && idRead == null && binding.isBound() && binding.forWrites() && !readOnly;
    }

    /**
     * The transaction's id and insert position, read along with the statement that just ran
     * (after {@link #executed()}): a null id means nothing the transaction ran so far wrote.
     */
    public void transactionIdRead(String xid, String insertLsn) throws SQLException {
        if (xid != null) {
            NodeState node = binding.node();
            idRead = new CommitOutcome.InDoubt(xid, Lsn.parse(insertLsn), node.host(), node.timeline());
        }
        idUnread = false;
    }

    /**
     * Records a statement's execution in the journal when the transaction can be replayed.
     *
     * @return its entry, or null when nothing records it
     */
    public Journal.Entry record(Replayable statement, Execution<?> execution, Object result, Statement physical)
            throws SQLException {
        return transactionReplay && !autoCommit ? journal().record(statement, execution, result, physical) : null;
    }

    /** Something that cannot be replayed happened in the current transaction. */
    public void notReplayable(String why) {
        if (transactionReplay && !autoCommit && active) {
            journal().stop(why);
        }
    }

    /** The transaction is tied to its physical connection (a savepoint): a failure is never retried as a first statement. */
    public void tied(String why) {
        statements++;
        notReplayable(why);
    }

    private Journal journal() {
        if (journal == null) {
            journal = new Journal(config.integer(PghaProperty.TRANSACTION_REPLAY_LIMIT), config.whole(PghaProperty.TRANSACTION_REPLAY_MAX_BYTES).getAsLong());
        }
        return journal;
    }

    // ------------------------------------------------------------------ losing a node

    /**
     * What the application sees after its statement failed, or null to run it again. Node
     * trouble drops the physical connection, so the next attempt routes afresh:
     * <ul>
     *   <li>the first statement of a transaction, or an autocommit read: nothing was committed
     *       or can be lost, run it again;</li>
     *   <li>a write refused by a demoted primary (25006): nothing happened, run it again;</li>
     *   <li>a later statement of a transaction: replayed on a usable node, then run again there;
     *       if that cannot be, {@link TransactionRolledBackException};</li>
     *   <li>an autocommit write: it may or may not have committed, {@link OutcomeUnknownException}.</li>
     * </ul>
     */
    public SQLException afterFailure(SQLException failure, int attempt) {
        FailureVerdict verdict = classifier.classify(failure, binding.forWrites() && !readOnly);
        if (verdict == FailureVerdict.APPLICATION || verdict == FailureVerdict.AUTHENTICATION || !binding.isBound()) {
            notReplayable("the application saw an error (SQLState " + failure.getSQLState() + ")");
            return failure;
        }
        HostSpec lost = binding.dropLostNode();
        boolean firstOfTransaction = autoCommit || statements == 0;
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
            metrics.retried();
            return null;
        }
        active = false;
        if (attempt >= MAX_ATTEMPTS) {
            return failure;
        }
        if (!autoCommit || readOnly || verdict == FailureVerdict.NOT_WRITABLE) {
            metrics.retried();
            return null;
        }
        return new OutcomeUnknownException("The connection to " + lost + " was lost while an autocommit write was in"
                + " flight: it may or may not have committed. Check before writing again (" + failure.getMessage() + ")",
                failure);
    }

    /**
     * After a connection-level call on the bound physical connection failed: if its node or
     * connection was lost, drops it (replaying the transaction if work of it was at stake) and
     * returns true, so the caller makes the call again on the next physical connection;
     * otherwise returns false and the failure is the application's.
     */
    public boolean recoverFromLostCall(SQLException e) throws SQLException {
        binding.failed(e);
        if (!binding.isBound() || !classifier.nodeLost(e)) {
            return false;
        }
        abandonLost(e);
        return true;
    }

    /**
     * The bound physical connection is gone (the monitor aborted it, or a call on it failed
     * with {@code failure}): drop it before anything more is sent, so the next statement goes
     * to a usable node with no doubt about its outcome. With no work of the transaction at
     * stake that is all; a transaction that had done work there is replayed on a usable node
     * (or rolled back with {@link TransactionRolledBackException}).
     */
    private void abandonLost(SQLException failure) throws SQLException {
        boolean lostWork = workAtStake();
        HostSpec lost = binding.dropLostNode();
        active = false;
        if (lostWork) {
            replay(lost, failure != null ? failure
                    : new SQLException("The connection to " + lost + " was closed: its node went down or stopped taking writes", "08006"));
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
            metrics.replayed("not_replayable");
            throw new TransactionRolledBackException("The connection to " + lost + " was lost inside a transaction and"
                    + " the transaction cannot be replayed (" + why + "); nothing of it was committed: run it again ("
                    + failure.getMessage() + ")", failure);
        }
        long deadline = monitor.nanoTime() + config.duration(PghaProperty.FAILOVER_TIMEOUT).toNanos();
        for (int attempt = 1; ; attempt++) {
            active = false;
            try {
                Connection c = physicalFor(true);
                journal().replay(c, this::replayed);
                metrics.replayed("replayed");
                return;
            } catch (Journal.Mismatch m) {
                rollbackQuietly();
                transactionEnded(false);
                metrics.replayed("mismatch");
                throw new TransactionRolledBackException("The connection to " + lost + " was lost inside a transaction,"
                        + " and replaying it on " + binding.node().host() + " did not give what the application had read: "
                        + m.getMessage() + ". Nothing of it was committed: run it again", failure);
            } catch (SQLException e) {
                boolean nodeLost = classifier.lostPrimary(e);
                if (nodeLost && binding.isBound()) {
                    binding.dropLostNode();
                }
                if (!nodeLost || e instanceof FailoverTimeoutException || attempt >= MAX_ATTEMPTS
                        || monitor.nanoTime() - deadline >= 0) {
                    rollbackQuietly();
                    transactionEnded(false);
                    metrics.replayed("failed");
                    TransactionRolledBackException rolledBack = new TransactionRolledBackException("The connection to "
                            + lost + " was lost inside a transaction, and replaying it failed (" + e.getMessage()
                            + "); nothing of it was committed: run it again", failure);
                    rolledBack.addSuppressed(e);
                    throw rolledBack;
                }
            }
        }
    }

    /** Called by the journal after each execution it replayed. */
    private void replayed() {
        statements++;
        // The replayed statements run as they are: the id of the transaction they make is read before its COMMIT.
        idRead = null;
        if (binding.forWrites() && !readOnly) {
            writePending = true;
            idUnread = true;
        }
    }

    // ------------------------------------------------------------------ ending the transaction

    /**
     * Commits. A read-write transaction first reads its transaction id (one round trip), so
     * that if the node is lost during the COMMIT, the new primary can say whether it committed:
     * committed returns normally; surely not committed replays the transaction there and
     * commits it again (or throws {@link TransactionRolledBackException} when it cannot be
     * replayed); only an answer that cannot be had throws {@link OutcomeUnknownException}.
     */
    public void commit() throws SQLException {
        owner.checkOpen();
        if (autoCommit) {
            throw new SQLException("Cannot commit when autoCommit is enabled.", "25P01");
        }
        if (!binding.isBound() || !active) {
            // Nothing ran since the last commit or rollback: nothing can be lost either.
            call(c -> {
                c.commit();
                return null;
            }, false);
            transactionEnded(true);
            return;
        }
        for (int attempt = 1; ; attempt++) {
            Connection physical = binding.physical();
            NodeState ranOn = binding.node();
            CommitOutcome.InDoubt doubt = null;
            if (writePending) {
                try {
                    doubt = inDoubt(physical, ranOn);
                } catch (SQLException e) {
                    // Nothing was committed: the COMMIT was not sent.
                    replayAfterLoss(e, attempt);
                    continue;
                }
                if (!binding.isWriteTarget(ranOn.host())) {
                    // A newer primary is known (or none can be trusted): this transaction must not
                    // commit here, where its writes would be lost. Nothing was committed: replay it.
                    replayAfterLoss(new SQLException("The primary " + ranOn.host() + " no longer takes writes: "
                            + monitor.topology().writeTarget(), "08006"), attempt);
                    continue;
                }
            }
            try {
                physical.commit();
            } catch (SQLException e) {
                if (!classifier.lostPrimary(e)) {
                    transactionEnded(false);
                    throw binding.failed(e);
                }
                HostSpec lost = binding.dropLostNode();
                if (doubt == null || doubt.xid() == null) {
                    // No transaction id was assigned: the transaction wrote nothing, so there was
                    // nothing to lose.
                    transactionEnded(false);
                    return;
                }
                if (resolveCommit(doubt, lost, e)) {
                    transactionEnded(true);
                    return;
                }
                if (attempt >= MAX_ATTEMPTS) {
                    transactionEnded(false);
                    throw new TransactionRolledBackException("The connection to " + lost + " was lost during COMMIT,"
                            + " and transaction " + doubt.xid() + " did not commit on the primary "
                            + binding.node().host() + ": nothing of it was committed; run it again ("
                            + e.getMessage() + ")", e);
                }
                replay(lost, e);
                continue;
            }
            transactionEnded(true);
            return;
        }
    }

    /**
     * The transaction's id and insert position for its COMMIT: read along with its writes when
     * they could carry the query, otherwise read now (one round trip). Null when every statement
     * it ran was read along and none wrote: there is nothing a lost COMMIT could lose.
     */
    private CommitOutcome.InDoubt inDoubt(Connection physical, NodeState ranOn) throws SQLException {
        if (idRead != null && idRead.host().equals(ranOn.host()) && idRead.timeline() == ranOn.timeline()) {
            return idRead;
        }
        if (idRead == null && !idUnread) {
            return null;
        }
        return CommitOutcome.before(physical, ranOn);
    }

    /** The node was lost before COMMIT was sent: replays the transaction, or throws what the application sees. */
    private void replayAfterLoss(SQLException e, int attempt) throws SQLException {
        if (!classifier.lostPrimary(e)) {
            throw binding.failed(e);
        }
        HostSpec lost = binding.dropLostNode();
        if (attempt >= MAX_ATTEMPTS) {
            transactionEnded(false);
            throw new TransactionRolledBackException("The connection to " + lost + " was lost before COMMIT was sent;"
                    + " nothing of the transaction was committed: run it again (" + e.getMessage() + ")", e);
        }
        replay(lost, e);
    }

    /**
     * Asks the primary, after the failover, what became of the transaction (see
     * {@link CommitOutcome} for which answers are believed).
     *
     * @return true if it committed, false if it surely did not
     * @throws OutcomeUnknownException if that cannot be found out
     */
    private boolean resolveCommit(CommitOutcome.InDoubt doubt, HostSpec lost, SQLException failure) throws SQLException {
        boolean wasReadOnly = readOnly;
        readOnly = false;
        try {
            return outcome.resolve(doubt, lost, failure, () -> physicalFor(false));
        } catch (OutcomeUnknownException e) {
            transactionEnded(false);
            throw e;
        } finally {
            readOnly = wasReadOnly;
        }
    }

    /** Rolls back; a lost node has ended the transaction already, and rolled back is what it is. */
    public void rollback() throws SQLException {
        owner.checkOpen();
        if (autoCommit) {
            throw new SQLException("Cannot rollback when autoCommit is enabled.", "25P01");
        }
        try {
            if (binding.isBound() && !binding.alive()) {
                binding.dropLostNode();
            } else if (binding.isBound()) {
                binding.physical().rollback();
            }
        } catch (SQLException e) {
            if (!classifier.nodeLost(e)) {
                throw binding.failed(e);
            }
            binding.dropLostNode();
        } finally {
            transactionEnded(false);
        }
    }

    private void rollbackQuietly() {
        Connection physical = binding.physical();
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
            reads.acknowledged(monitor.nanoTime());
        }
        owner.transactionEnded(committed);
        if (journal != null) {
            journal.clear();
        }
        writePending = false;
        idRead = null;
        idUnread = false;
        active = false;
        statements = 0;
    }
}
