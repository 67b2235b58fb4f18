package org.pgha.driver.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.pgha.codegen.Forward;
import org.pgha.driver.failover.Execution;
import org.pgha.driver.failover.Journal;
import org.pgha.driver.failover.Parameters;
import org.pgha.driver.failover.Replayable;
import org.pgha.driver.failover.ResultDigest;
import org.pgha.driver.failover.SqlText;
import org.pgha.driver.failover.TransactionIdQuery;

/**
 * A statement of a {@link LogicalConnection}. Its physical statement lives on the physical
 * connection the logical one was bound to when it last ran; when the logical connection has
 * moved since (another node, between transactions), the physical statement is re-created there
 * with the settings recorded here, before it runs.
 */
@Forward(type = Statement.class, name = "ForwardingStatement", to = "current")
class LogicalStatement extends ForwardingStatement implements Statement, Replayable {

    /** Creates the physical statement on a physical connection. */
    @FunctionalInterface
    interface Factory<S extends Statement> {
        S create(Connection physical) throws SQLException;
    }

    /** How the application asked for an execution's result: what a run with the transaction id read along returns. */
    enum Shape { QUERY, UPDATE, LARGE_UPDATE, EXECUTE }

    /**
     * The results of the last execution that read the transaction id along: the application's
     * own (a result set, or an update count), the id's result hidden behind them.
     */
    private static final class IdRun {
        final Statement ran;
        final ResultSet results;
        final long count;
        /** The application moved past its result (getMoreResults): there is none left. */
        boolean moved;

        IdRun(Statement ran, ResultSet results, long count) {
            this.ran = ran;
            this.results = results;
            this.count = count;
        }
    }

    final LogicalConnection connection;
    private final Factory<? extends Statement> factory;
    /** Whether the physical statements come from plain {@code createStatement()}/{@code prepareStatement(sql)}. */
    final boolean plain;
    private Statement physical;
    private Connection owner;
    private boolean closed;

    // Settings made through this object, re-applied to a re-created physical statement.
    private int maxFieldSize = -1;
    private long maxRows = -1;
    private int queryTimeout = -1;
    private int fetchDirection = -1;
    private int fetchSize = -1;
    private Boolean escapeProcessing;
    private Boolean poolable;
    private String cursorName;
    private boolean closeOnCompletion;
    private List<String> batch;

    /** Why the parameters could not be set again after a replay: the next execution fails with it. */
    private SQLException unrestorable;
    /** The journal entry of the last execution, if the transaction records one. */
    private Journal.Entry lastEntry;
    /** The result set and generated keys of the last execution, once handed out. */
    private LogicalResultSet currentResult;
    private LogicalResultSet currentKeys;

    /** The last execution, when it read the transaction id along; null otherwise. */
    private IdRun idRun;

    LogicalStatement(LogicalConnection connection, Factory<? extends Statement> factory) throws SQLException {
        this(connection, factory, false);
    }

    /**
     * @param plain whether {@code factory} makes statements with the default result set type,
     *     concurrency and holdability and no generated keys: only those read the id along
     */
    LogicalStatement(LogicalConnection connection, Factory<? extends Statement> factory, boolean plain) throws SQLException {
        this.connection = connection;
        this.factory = factory;
        this.plain = plain;
        for (int attempt = 1; ; attempt++) {
            Connection c = connection.physicalFor(false);
            try {
                this.physical = factory.create(c);
                this.owner = c;
                return;
            } catch (SQLException e) {
                // A node lost with nothing at stake costs nothing: create it on the next physical connection.
                if (attempt >= LogicalConnection.MAX_ATTEMPTS || !connection.path.recoverFromLostCall(e)) {
                    throw e;
                }
            }
        }
    }

    private Statement create(Connection c) throws SQLException {
        try {
            return factory.create(c);
        } catch (SQLException e) {
            throw connection.failed(e);
        }
    }

    /** The physical statement to run on, re-created first if the connection moved. */
    final Statement target() throws SQLException {
        checkOpen();
        if (unrestorable != null) {
            SQLException e = unrestorable;
            unrestorable = null;
            throw e;
        }
        Connection c = connection.physicalFor(true);
        if (c != owner) {
            Statement old = physical;
            Statement fresh = create(c);
            applySettings(fresh);
            reapply(fresh);
            physical = fresh;
            owner = c;
            closeQuietly(old);
        }
        return physical;
    }

    /** The physical statement for everything but running it. */
    @Override
    final Statement current() throws SQLException {
        checkOpen();
        return physical;
    }

    /** The physical connection the physical statement lives on. */
    final Connection owner() {
        return owner;
    }

    final void applySettings(Statement s) throws SQLException {
        if (maxFieldSize >= 0) {
            s.setMaxFieldSize(maxFieldSize);
        }
        if (maxRows >= 0) {
            s.setLargeMaxRows(maxRows);
        }
        if (queryTimeout >= 0) {
            s.setQueryTimeout(queryTimeout);
        }
        if (fetchDirection >= 0) {
            s.setFetchDirection(fetchDirection);
        }
        if (fetchSize >= 0) {
            s.setFetchSize(fetchSize);
        }
        if (escapeProcessing != null) {
            s.setEscapeProcessing(escapeProcessing);
        }
        if (poolable != null) {
            s.setPoolable(poolable);
        }
        if (cursorName != null) {
            s.setCursorName(cursorName);
        }
        if (closeOnCompletion) {
            s.closeOnCompletion();
        }
    }

    /** Re-applies the parameters and pending batch recorded here to a re-created statement. */
    void reapply(Statement fresh) throws SQLException {
        if (batch != null) {
            for (String sql : batch) {
                fresh.addBatch(sql);
            }
        }
    }

    // ------------------------------------------------------------------ transaction replay

    /** A pending batch of SQL texts, as it was at an execution. */
    private record SqlBatch(List<String> sql) implements Parameters {
        @Override
        public int weight() {
            return Math.max(1, sql.size());
        }

        @Override
        public long bytes() {
            long total = 16;
            for (String text : sql) {
                total += 40L + 2L * text.length();
            }
            return total;
        }
    }

    /** The pending batch as it is now, for the journal to run this execution again. */
    @Override
    public Parameters parameters() {
        return batch == null ? Parameters.NONE : new SqlBatch(List.copyOf(batch));
    }

    /** Sets recorded parameters and batch on the physical statement. */
    void applyParameters(Statement s, Parameters parameters) throws SQLException {
        s.clearBatch();
        if (parameters instanceof SqlBatch recorded) {
            for (String sql : recorded.sql()) {
                s.addBatch(sql);
            }
        }
    }

    /**
     * The physical statement on the replaying connection, with the parameters an execution
     * had: the journal runs the execution on it.
     */
    @Override
    public final Statement replayOn(Connection c, Parameters parameters) throws SQLException {
        if (closed) {
            // Closed since it ran (as most are): a physical statement for this execution alone.
            Statement once = create(c);
            applySettings(once);
            applyParameters(once, parameters);
            return once;
        }
        if (c != owner) {
            Statement old = physical;
            Statement fresh = create(c);
            applySettings(fresh);
            physical = fresh;
            owner = c;
            closeQuietly(old);
        }
        applyParameters(physical, parameters);
        return physical;
    }

    /** After the journal ran an execution on {@code s}: a statement of a closed one is closed. */
    @Override
    public final void replayed(Statement s) throws SQLException {
        if (closed) {
            s.close();
        }
    }

    /** Whether the application closed this statement. */
    @Override
    public final boolean closedByApplication() {
        return closed;
    }

    /**
     * After a replay: the parameters and batch the application has set since, back in place.
     * Those that cannot be set again (a stream) fail the next execution, as after a move.
     */
    @Override
    public void restoreParameters() throws SQLException {
        physical.clearBatch();
        try {
            reapply(physical);
        } catch (SQLException e) {
            if (!"0A000".equals(e.getSQLState())) {
                throw e;
            }
            unrestorable = e;
        }
    }

    /**
     * A result as the application gets it: a result set records what is read when the journal
     * recorded the execution ({@code entry} not null).
     */
    @SuppressWarnings("unchecked")
    private <R> R handedOut(Journal.Entry entry, R result) {
        lastEntry = entry;
        currentResult = null;
        currentKeys = null;
        if (result instanceof ResultSet rs) {
            LogicalResultSet results = new LogicalResultSet(this, rs, entry == null ? null : new ResultDigest());
            if (entry != null) {
                entry.results(results);
            }
            currentResult = results;
            return (R) results;
        }
        return result;
    }

    final SQLException failed(SQLException e) {
        return connection.failed(e);
    }

    private static void closeQuietly(Statement s) {
        try {
            s.close();
        } catch (SQLException ignored) {
            // the old physical connection may be gone already
        }
    }

    final void checkOpen() throws SQLException {
        if (closed) {
            throw new SQLException("This statement has been closed.", "55000");
        }
    }

    // ------------------------------------------------------------------ execution

    /**
     * Every execution goes through here: the physical statement on the node the connection is
     * routed to, then the connection is told the statement was acknowledged, or its failure is
     * looked at.
     */
    final <R> R execute(Execution<R> execution) throws SQLException {
        return execute(execution, null, null);
    }

    /**
     * The same, for an execution that may read the transaction id along: {@code shape} says
     * what the application asked for, {@code sql} is the text of a {@link Statement}'s
     * execution (null for a prepared statement, which knows its own).
     */
    final <R> R execute(Execution<R> execution, Shape shape, String sql) throws SQLException {
        if (connection.path.exactlyOnce() && fitsInTransaction(sql)) {
            return connection.path.exactlyOnce(() -> executeOnce(execution, shape, sql));
        }
        return executeOnce(execution, shape, sql);
    }

    /**
     * Whether the execution can run in a transaction of pgha's, for {@code exactlyOnceAutocommit}:
     * {@code sql}, or with none, every statement of the pending batch (see {@link SqlText#fitsInTransaction}).
     */
    boolean fitsInTransaction(String sql) {
        if (sql != null) {
            return SqlText.fitsInTransaction(sql);
        }
        if (batch == null) {
            return false;
        }
        for (String each : batch) {
            if (!SqlText.fitsInTransaction(each)) {
                return false;
            }
        }
        return true;
    }

    private <R> R executeOnce(Execution<R> execution, Shape shape, String sql) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            Statement s = target();
            idRun = null;
            try {
                Statement withId = shape != null && connection.path.readsTransactionId() ? withTransactionId(s, sql) : null;
                if (withId == null) {
                    R result = execution.run(s);
                    connection.path.executed();
                    return handedOut(connection.path.record(this, execution, result, s), result);
                }
                R result = runWithTransactionId(withId, shape, sql);
                return handedOut(connection.path.record(this, execution, result, this), result);
            } catch (SQLException e) {
                idRun = null;
                SQLException outcome = connection.path.afterFailure(e, attempt);
                if (outcome != null) {
                    throw outcome;
                }
                // The connection dropped its physical connection: the next attempt routes afresh
                // and re-creates this statement there.
            }
        }
    }

    /**
     * The physical statement that runs an execution with the transaction-id query appended
     * ({@link TransactionIdQuery}), or null when this execution cannot carry it. A statement runs
     * {@code sql} with the query appended on its own physical statement.
     */
    Statement withTransactionId(Statement s, String sql) throws SQLException {
        return plain && sql != null && idReadable() && TransactionIdQuery.appendableTo(sql) ? s : null;
    }

    /** Whether the settings allow the id's result behind the application's: no cursor fetch, no closing on completion. */
    final boolean idReadable() {
        return fetchSize <= 0 && !closeOnCompletion && batch == null;
    }

    /** Runs the execution with the query appended on {@code s}: true if its first result is a result set. */
    boolean runAppended(Statement s, String sql) throws SQLException {
        return s.execute(sql + TransactionIdQuery.APPENDED);
    }

    /** Runs the execution and the id query in one round trip; the application gets its own result only. */
    @SuppressWarnings("unchecked")
    private <R> R runWithTransactionId(Statement s, Shape shape, String sql) throws SQLException {
        boolean isResultSet = runAppended(s, sql);
        ResultSet results = isResultSet ? s.getResultSet() : null;
        long count = isResultSet ? -1 : s.getLargeUpdateCount();
        if (!s.getMoreResults(Statement.KEEP_CURRENT_RESULT)) {
            throw new SQLException("The transaction id query appended to the statement gave no result", "XX000");
        }
        String xid;
        String lsn;
        try (ResultSet id = s.getResultSet()) {
            id.next();
            xid = id.getString(1);
            lsn = id.getString(2);
        }
        idRun = new IdRun(s, results, count);
        connection.path.executed();
        connection.path.transactionIdRead(xid, lsn);
        switch (shape) {
            case QUERY:
                if (results == null) {
                    throw new SQLException("No results were returned by the query.", "02000");
                }
                return (R) results;
            case UPDATE:
                if (results != null) {
                    results.close();
                    throw new SQLException("A result was returned when none was expected.", "0100E");
                }
                return (R) Integer.valueOf(count > Integer.MAX_VALUE ? Statement.SUCCESS_NO_INFO : (int) count);
            case LARGE_UPDATE:
                if (results != null) {
                    results.close();
                    throw new SQLException("A result was returned when none was expected.", "0100E");
                }
                return (R) Long.valueOf(count);
            default:
                return (R) Boolean.valueOf(isResultSet);
        }
    }

    /** The same, for SQL text that may change session state. */
    final <R> R execute(String sql, Execution<R> execution) throws SQLException {
        return execute(sql, null, execution);
    }

    /** The same, for SQL text that may also read the transaction id along. */
    final <R> R execute(String sql, Shape shape, Execution<R> execution) throws SQLException {
        R result = execute(execution, shape, sql);
        connection.observed(sql);
        return result;
    }

    @Override
    public ResultSet executeQuery(String sql) throws SQLException {
        return execute(sql, Shape.QUERY, s -> s.executeQuery(sql));
    }

    @Override
    public int executeUpdate(String sql) throws SQLException {
        return execute(sql, Shape.UPDATE, s -> s.executeUpdate(sql));
    }

    @Override
    public int executeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
        return execute(sql, s -> s.executeUpdate(sql, autoGeneratedKeys));
    }

    @Override
    public int executeUpdate(String sql, int[] columnIndexes) throws SQLException {
        return execute(sql, s -> s.executeUpdate(sql, columnIndexes));
    }

    @Override
    public int executeUpdate(String sql, String[] columnNames) throws SQLException {
        return execute(sql, s -> s.executeUpdate(sql, columnNames));
    }

    @Override
    public long executeLargeUpdate(String sql) throws SQLException {
        return execute(sql, Shape.LARGE_UPDATE, s -> s.executeLargeUpdate(sql));
    }

    @Override
    public long executeLargeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
        return execute(sql, s -> s.executeLargeUpdate(sql, autoGeneratedKeys));
    }

    @Override
    public long executeLargeUpdate(String sql, int[] columnIndexes) throws SQLException {
        return execute(sql, s -> s.executeLargeUpdate(sql, columnIndexes));
    }

    @Override
    public long executeLargeUpdate(String sql, String[] columnNames) throws SQLException {
        return execute(sql, s -> s.executeLargeUpdate(sql, columnNames));
    }

    @Override
    public boolean execute(String sql) throws SQLException {
        return execute(sql, Shape.EXECUTE, s -> s.execute(sql));
    }

    @Override
    public boolean execute(String sql, int autoGeneratedKeys) throws SQLException {
        return execute(sql, s -> s.execute(sql, autoGeneratedKeys));
    }

    @Override
    public boolean execute(String sql, int[] columnIndexes) throws SQLException {
        return execute(sql, s -> s.execute(sql, columnIndexes));
    }

    @Override
    public boolean execute(String sql, String[] columnNames) throws SQLException {
        return execute(sql, s -> s.execute(sql, columnNames));
    }

    @Override
    public int[] executeBatch() throws SQLException {
        try {
            return execute(Statement::executeBatch);
        } finally {
            batchExecuted();
        }
    }

    @Override
    public long[] executeLargeBatch() throws SQLException {
        try {
            return execute(Statement::executeLargeBatch);
        } finally {
            batchExecuted();
        }
    }

    /** A batch is cleared once executed, whatever the outcome (as JDBC drivers do). */
    void batchExecuted() {
        batch = null;
    }

    @Override
    public void addBatch(String sql) throws SQLException {
        current().addBatch(sql);
        if (batch == null) {
            batch = new ArrayList<>();
        }
        batch.add(sql);
    }

    @Override
    public void clearBatch() throws SQLException {
        current().clearBatch();
        batch = null;
    }

    // ------------------------------------------------------------------ settings

    @Override
    public void setMaxFieldSize(int max) throws SQLException {
        current().setMaxFieldSize(max);
        maxFieldSize = max;
    }

    @Override
    public void setMaxRows(int max) throws SQLException {
        current().setMaxRows(max);
        maxRows = max;
    }

    @Override
    public void setLargeMaxRows(long max) throws SQLException {
        current().setLargeMaxRows(max);
        maxRows = max;
    }

    @Override
    public void setEscapeProcessing(boolean enable) throws SQLException {
        current().setEscapeProcessing(enable);
        escapeProcessing = enable;
    }

    @Override
    public void setQueryTimeout(int seconds) throws SQLException {
        current().setQueryTimeout(seconds);
        queryTimeout = seconds;
    }

    @Override
    public void setCursorName(String name) throws SQLException {
        current().setCursorName(name);
        cursorName = name;
    }

    @Override
    public void setFetchDirection(int direction) throws SQLException {
        current().setFetchDirection(direction);
        fetchDirection = direction;
    }

    @Override
    public void setFetchSize(int rows) throws SQLException {
        current().setFetchSize(rows);
        fetchSize = rows;
    }

    @Override
    public void setPoolable(boolean poolable) throws SQLException {
        current().setPoolable(poolable);
        this.poolable = poolable;
    }

    @Override
    public void closeOnCompletion() throws SQLException {
        current().closeOnCompletion();
        closeOnCompletion = true;
    }

    // ------------------------------------------------------------------ results and the rest

    /** The physical statement the last execution ran on, for its results and warnings. */
    final Statement ran() throws SQLException {
        return idRun != null ? idRun.ran : current();
    }

    @Override
    public int getUpdateCount() throws SQLException {
        if (idRun != null) {
            checkOpen();
            long count = idRun.moved || idRun.results != null ? -1 : idRun.count;
            return count > Integer.MAX_VALUE ? Statement.SUCCESS_NO_INFO : (int) count;
        }
        return current().getUpdateCount();
    }

    @Override
    public long getLargeUpdateCount() throws SQLException {
        if (idRun != null) {
            checkOpen();
            return idRun.moved || idRun.results != null ? -1 : idRun.count;
        }
        return current().getLargeUpdateCount();
    }

    @Override
    public java.sql.SQLWarning getWarnings() throws SQLException {
        return ran().getWarnings();
    }

    @Override
    public void clearWarnings() throws SQLException {
        current().clearWarnings();
        if (idRun != null) {
            idRun.ran.clearWarnings();
        }
    }

    @Override
    public ResultSet getResultSet() throws SQLException {
        if (idRun != null) {
            checkOpen();
            if (idRun.moved || idRun.results == null) {
                return null;
            }
            if (currentResult == null) {
                Journal.Entry entry = lastEntry;
                currentResult = new LogicalResultSet(this, idRun.results, entry == null ? null : new ResultDigest());
                if (entry != null) {
                    entry.results(currentResult);
                }
            }
            return currentResult;
        }
        ResultSet rs = current().getResultSet();
        if (rs == null) {
            return null;
        }
        if (currentResult == null) {
            Journal.Entry entry = lastEntry;
            currentResult = new LogicalResultSet(this, rs, entry == null ? null : new ResultDigest());
            if (entry != null) {
                entry.results(currentResult);
            }
        }
        return currentResult;
    }

    @Override
    public boolean getMoreResults() throws SQLException {
        return getMoreResults(Statement.CLOSE_CURRENT_RESULT);
    }

    @Override
    public boolean getMoreResults(int current) throws SQLException {
        if (lastEntry != null) {
            connection.path.notReplayable("the application called Statement.getMoreResults");
        }
        lastEntry = null;
        if (idRun != null) {
            // One statement ran: there are no more results; the current one closes unless kept.
            checkOpen();
            if (current != Statement.KEEP_CURRENT_RESULT && !idRun.moved && idRun.results != null) {
                if (currentResult != null) {
                    currentResult.close();
                } else {
                    idRun.results.close();
                }
            }
            idRun.moved = true;
            currentResult = null;
            return false;
        }
        currentResult = null;
        return current().getMoreResults(current);
    }

    @Override
    public ResultSet getGeneratedKeys() throws SQLException {
        ResultSet rs = current().getGeneratedKeys();
        if (rs == null) {
            return null;
        }
        if (currentKeys == null) {
            Journal.Entry entry = lastEntry;
            currentKeys = new LogicalResultSet(this, rs, entry == null ? null : new ResultDigest());
            if (entry != null) {
                entry.keys(currentKeys);
            }
        }
        return currentKeys;
    }

    @Override
    public Connection getConnection() throws SQLException {
        checkOpen();
        return connection;
    }

    @Override
    public void close() throws SQLException {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(physical);
    }

    @Override
    public boolean isClosed() throws SQLException {
        return closed || connection.isClosed();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        return current().unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || current().isWrapperFor(iface);
    }
}
