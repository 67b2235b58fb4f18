package org.pgha.driver.jdbc;

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
import org.pgha.driver.failover.ResultDigest;

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
final class Journal {

    /** A replayed statement did not give what the application saw. */
    static final class Mismatch extends Exception {
        Mismatch(String message) {
            super(message, null, false, false);
        }
    }

    /** One execution, as run and as seen. */
    static final class Entry {
        final LogicalStatement statement;
        final LogicalStatement.Execution<?> execution;
        /** The statement's parameters (and batch) when it ran; see {@link LogicalStatement#snapshot()}. */
        final Object parameters;
        /** An update count, batch counts or {@code execute}'s answer, or null for a query. */
        Object outcome;
        /** {@code execute}'s update count when it returned false. */
        long updateCount;
        /** The result set handed out, if any. */
        LogicalResultSet results;
        /** The generated keys handed out, if any. */
        LogicalResultSet keys;

        Entry(LogicalStatement statement, LogicalStatement.Execution<?> execution, Object parameters) {
            this.statement = statement;
            this.execution = execution;
            this.parameters = parameters;
        }
    }

    private final int limit;
    private final long byteLimit;
    private final List<Entry> entries = new ArrayList<>();
    private int executions;
    private long bytes;
    /** Why the current transaction cannot be replayed, or null. */
    private String notReplayable;

    Journal(int limit, long byteLimit) {
        this.limit = limit;
        this.byteLimit = byteLimit;
    }

    /** A new transaction: nothing recorded, replayable. */
    void clear() {
        entries.clear();
        executions = 0;
        bytes = 0;
        notReplayable = null;
    }

    /** Why the current transaction cannot be replayed, or null if it can. */
    String notReplayable() {
        return notReplayable;
    }

    /** The current transaction cannot be replayed from now on: what was recorded is let go. */
    void stop(String why) {
        if (notReplayable == null) {
            notReplayable = why;
            entries.clear();
        }
    }

    /**
     * Records an execution that just succeeded and returns its result as the application gets
     * it (a result set recording what is read).
     */
    @SuppressWarnings("unchecked")
    <R> R record(LogicalStatement statement, LogicalStatement.Execution<R> execution, R result, Statement physical)
            throws SQLException {
        if (notReplayable == null) {
            Object parameters = statement.snapshot();
            int weight = LogicalStatement.weight(parameters);
            if (parameters == LogicalStatement.NOT_REPEATABLE) {
                stop("a parameter was set from a stream or from an object of the lost connection");
            } else if (executions + weight > limit) {
                stop("it ran more than transactionReplayLimit (" + limit + ") statements");
            } else if (bytes + LogicalStatement.bytes(parameters) > byteLimit) {
                stop("its parameters took more than transactionReplayMaxBytes (" + byteLimit + ") bytes");
            } else {
                executions += weight;
                bytes += LogicalStatement.bytes(parameters);
                Entry entry = new Entry(statement, execution, parameters);
                entries.add(entry);
                statement.executedAs(entry);
                if (result instanceof ResultSet rs) {
                    entry.results = new LogicalResultSet(statement, rs, new ResultDigest());
                    return (R) entry.results;
                }
                entry.outcome = result;
                if (Boolean.FALSE.equals(result)) {
                    entry.updateCount = physical.getLargeUpdateCount();
                }
                return result;
            }
        }
        return statement.unrecorded(result);
    }

    /**
     * Runs every recorded execution again on {@code physical}, in order, checking each against
     * what the application saw; result sets still open continue on the replayed results.
     *
     * @throws Mismatch if one differs: the transaction must be rolled back
     * @throws SQLException if a statement fails
     */
    void replay(LogicalConnection connection, Connection physical) throws SQLException, Mismatch {
        Set<LogicalStatement> statements = Collections.newSetFromMap(new IdentityHashMap<>());
        int index = 0;
        for (Entry entry : entries) {
            index++;
            Statement s = entry.statement.replayOn(physical, entry.parameters);
            if (!entry.statement.closedByApplication()) {
                statements.add(entry.statement);
            }
            Object result = entry.execution.run(s);
            connection.replayed();
            String difference = compare(entry, result, s);
            if (difference != null) {
                entry.statement.replayed(s);
                throw new Mismatch("statement " + index + " of " + entries.size() + " gave another result when run"
                        + " again: " + difference);
            }
            entry.statement.replayed(s);
        }
        for (LogicalStatement statement : statements) {
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

    private static String continueOn(LogicalResultSet original, ResultSet replayed) throws SQLException {
        String difference = original.digest().compare(replayed);
        if (difference == null) {
            original.continueOn(replayed);
        }
        return difference;
    }
}
