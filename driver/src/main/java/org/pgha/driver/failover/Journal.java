package org.pgha.driver.failover;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The statements of the current transaction, with their parameters and what the application
 * saw of their results, so that the transaction can be run again on another node after its
 * node was lost before the COMMIT succeeded ({@code transactionReplay}).
 *
 * <p>A replay is trusted only if every statement gives what the application saw: the same
 * update counts, and the same rows for every row it read ({@link ResultDigest}). Then the
 * application, had it run on the new node from the start, would have seen exactly what it
 * saw, and so would have sent exactly the statements it sent: the replayed transaction is
 * the one it meant. Anything that cannot be checked this way (a stream parameter, a
 * savepoint, a callable statement, a scrolled result, an error the application saw, more
 * than {@code transactionReplayLimit} executions, parameters of more than
 * {@code transactionReplayMaxBytes}) makes the transaction not replayable, and
 * a lost transaction then ends in {@code TransactionRolledBackException} as without replay.
 */
public final class Journal {

    /** A replayed statement did not give what the application saw. */
    public static final class Mismatch extends Exception {
        Mismatch(String message) {
            super(message, null, false, false);
        }
    }

    /** One execution, as run and as seen. */
    public static final class Entry {
        final Replayable statement;
        final Execution<?> execution;
        /** The statement's parameters (and batch) when it ran. */
        final Parameters parameters;
        /** An update count, batch counts or {@code execute}'s answer, or null for a query. */
        Object outcome;
        /** {@code execute}'s update count when it returned false. */
        long updateCount;
        /** The result set handed out, if any. */
        RecordedResult results;
        /** The generated keys handed out, if any. */
        RecordedResult keys;

        Entry(Replayable statement, Execution<?> execution, Parameters parameters) {
            this.statement = statement;
            this.execution = execution;
            this.parameters = parameters;
        }

        /** The result set handed to the application for this execution: what it reads is checked on a replay. */
        public void results(RecordedResult handedOut) {
            results = handedOut;
        }

        /** The generated keys handed to the application for this execution. */
        public void keys(RecordedResult handedOut) {
            keys = handedOut;
        }
    }

    private final int limit;
    private final long byteLimit;
    private final List<Entry> entries = new ArrayList<>();
    private int executions;
    private long bytes;
    /** Why the current transaction cannot be replayed, or null. */
    private String notReplayable;

    public Journal(int limit, long byteLimit) {
        this.limit = limit;
        this.byteLimit = byteLimit;
    }

    /** A new transaction: nothing recorded, replayable. */
    public void clear() {
        entries.clear();
        executions = 0;
        bytes = 0;
        notReplayable = null;
    }

    /** Why the current transaction cannot be replayed, or null if it can. */
    public String notReplayable() {
        return notReplayable;
    }

    /** The current transaction cannot be replayed from now on: what was recorded is let go. */
    public void stop(String why) {
        if (notReplayable == null) {
            notReplayable = why;
            entries.clear();
        }
    }

    /**
     * Records an execution that just succeeded.
     *
     * @return its entry, to which the statement attaches the result set it hands out; null if
     *     the transaction does not record (any more)
     */
    public Entry record(Replayable statement, Execution<?> execution, Object result, Statement physical)
            throws SQLException {
        if (notReplayable != null) {
            return null;
        }
        Parameters parameters = statement.parameters();
        int weight = parameters.weight();
        long size = parameters == Parameters.NOT_REPEATABLE ? 0 : parameters.bytes();
        if (parameters == Parameters.NOT_REPEATABLE) {
            stop("a parameter was set from a stream or from an object of the lost connection");
        } else if (executions + weight > limit) {
            stop("it ran more than transactionReplayLimit (" + limit + ") statements");
        } else if (bytes + size > byteLimit) {
            stop("its parameters took more than transactionReplayMaxBytes (" + byteLimit + ") bytes");
        } else {
            executions += weight;
            bytes += size;
            Entry entry = new Entry(statement, execution, parameters);
            entries.add(entry);
            if (!(result instanceof ResultSet)) {
                entry.outcome = result;
                if (Boolean.FALSE.equals(result)) {
                    entry.updateCount = physical.getLargeUpdateCount();
                }
            }
            return entry;
        }
        return null;
    }

    /**
     * Runs every recorded execution again on {@code physical}, in order, checking each against
     * what the application saw; result sets still open continue on the replayed results.
     *
     * @throws Mismatch if one differs: the transaction must be rolled back
     * @param onReplayed called after each execution ran again
     * @throws SQLException if a statement fails
     */
    public void replay(Connection physical, Runnable onReplayed) throws SQLException, Mismatch {
        Set<Replayable> statements = Collections.newSetFromMap(new IdentityHashMap<>());
        int index = 0;
        for (Entry entry : entries) {
            index++;
            Statement s = entry.statement.replayOn(physical, entry.parameters);
            if (!entry.statement.closedByApplication()) {
                statements.add(entry.statement);
            }
            Object result = entry.execution.run(s);
            onReplayed.run();
            String difference = compare(entry, result, s);
            if (difference != null) {
                entry.statement.replayed(s);
                throw new Mismatch("statement " + index + " of " + entries.size() + " gave another result when run"
                        + " again: " + difference);
            }
            entry.statement.replayed(s);
        }
        for (Replayable statement : statements) {
            statement.restoreParameters();
        }
    }

    private static String compare(Entry entry, Object result, Statement s) throws SQLException {
        if (entry.results != null && result instanceof ResultSet rs) {
            return continueOn(entry.results, rs);
        }
        Object outcome = entry.outcome;
        if (outcome instanceof Boolean isResult) {
            if (!outcome.equals(result)) {
                return "execute() returned " + result + " where it returned " + outcome;
            }
            if (isResult) {
                if (entry.results != null) {
                    return continueOn(entry.results, s.getResultSet());
                }
            } else if (s.getLargeUpdateCount() != entry.updateCount) {
                return "update count " + s.getLargeUpdateCount() + " where it was " + entry.updateCount;
            }
        } else if (outcome instanceof Number n) {
            if (!(result instanceof Number r) || r.longValue() != n.longValue()) {
                return "update count " + result + " where it was " + outcome;
            }
        } else if (outcome instanceof int[] counts) {
            if (!(result instanceof int[] r) || !Arrays.equals(r, counts)) {
                return "batch update counts differ";
            }
        } else if (outcome instanceof long[] counts) {
            if (!(result instanceof long[] r) || !Arrays.equals(r, counts)) {
                return "batch update counts differ";
            }
        }
        if (entry.keys != null) {
            return continueOn(entry.keys, s.getGeneratedKeys());
        }
        return null;
    }

    private static String continueOn(RecordedResult original, ResultSet replayed) throws SQLException {
        String difference = original.digest().compare(replayed);
        if (difference == null) {
            original.continueOn(replayed);
        }
        return difference;
    }
}
