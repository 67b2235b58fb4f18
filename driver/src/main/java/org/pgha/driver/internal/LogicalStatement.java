package org.pgha.driver.internal;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A statement of a {@link LogicalConnection}. Its physical statement lives on the physical
 * connection the logical one was bound to when it last ran; when the logical connection has
 * moved since (another node, between transactions), the physical statement is re-created there
 * with the settings recorded here, before it runs.
 */
class LogicalStatement implements Statement {

    /** Creates the physical statement on a physical connection. */
    @FunctionalInterface
    interface Factory<S extends Statement> {
        S create(Connection physical) throws SQLException;
    }

    final LogicalConnection connection;
    private final Factory<? extends Statement> factory;
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

    LogicalStatement(LogicalConnection connection, Factory<? extends Statement> factory) throws SQLException {
        this.connection = connection;
        this.factory = factory;
        Connection c = connection.physicalFor(false);
        this.physical = create(c);
        this.owner = c;
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
    final Statement current() throws SQLException {
        checkOpen();
        return physical;
    }

    private void applySettings(Statement s) throws SQLException {
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
        if (batch != null) {
            for (String sql : batch) {
                s.addBatch(sql);
            }
        }
    }

    /** Re-applies what a subclass records (parameters) to a re-created statement. */
    void reapply(Statement fresh) throws SQLException {
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

    /** One execution method of a physical statement. */
    @FunctionalInterface
    interface Execution<R> {
        R run(Statement physical) throws SQLException;
    }

    /**
     * Every execution goes through here: the physical statement on the node the connection is
     * routed to, then the connection is told the statement was acknowledged, or its failure is
     * looked at.
     */
    final <R> R execute(Execution<R> execution) throws SQLException {
        if (connection.exactlyOnce()) {
            return connection.exactlyOnce(() -> executeOnce(execution));
        }
        return executeOnce(execution);
    }

    private <R> R executeOnce(Execution<R> execution) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            Statement s = target();
            try {
                R result = execution.run(s);
                connection.executed();
                return result;
            } catch (SQLException e) {
                SQLException outcome = connection.afterFailure(e, attempt);
                if (outcome != null) {
                    throw outcome;
                }
                // The connection dropped its physical connection: the next attempt routes afresh
                // and re-creates this statement there.
            }
        }
    }

    /** The same, for SQL text that may change session state. */
    final <R> R execute(String sql, Execution<R> execution) throws SQLException {
        R result = execute(execution);
        connection.observed(sql);
        return result;
    }

    @Override
    public ResultSet executeQuery(String sql) throws SQLException {
        return execute(sql, s -> s.executeQuery(sql));
    }

    @Override
    public int executeUpdate(String sql) throws SQLException {
        return execute(sql, s -> s.executeUpdate(sql));
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
        return execute(sql, s -> s.executeLargeUpdate(sql));
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
        return execute(sql, s -> s.execute(sql));
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
    public int getMaxFieldSize() throws SQLException {
        return current().getMaxFieldSize();
    }

    @Override
    public void setMaxFieldSize(int max) throws SQLException {
        current().setMaxFieldSize(max);
        maxFieldSize = max;
    }

    @Override
    public int getMaxRows() throws SQLException {
        return current().getMaxRows();
    }

    @Override
    public void setMaxRows(int max) throws SQLException {
        current().setMaxRows(max);
        maxRows = max;
    }

    @Override
    public long getLargeMaxRows() throws SQLException {
        return current().getLargeMaxRows();
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
    public int getQueryTimeout() throws SQLException {
        return current().getQueryTimeout();
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
    public int getFetchDirection() throws SQLException {
        return current().getFetchDirection();
    }

    @Override
    public void setFetchSize(int rows) throws SQLException {
        current().setFetchSize(rows);
        fetchSize = rows;
    }

    @Override
    public int getFetchSize() throws SQLException {
        return current().getFetchSize();
    }

    @Override
    public void setPoolable(boolean poolable) throws SQLException {
        current().setPoolable(poolable);
        this.poolable = poolable;
    }

    @Override
    public boolean isPoolable() throws SQLException {
        return current().isPoolable();
    }

    @Override
    public void closeOnCompletion() throws SQLException {
        current().closeOnCompletion();
        closeOnCompletion = true;
    }

    @Override
    public boolean isCloseOnCompletion() throws SQLException {
        return current().isCloseOnCompletion();
    }

    // ------------------------------------------------------------------ results and the rest

    @Override
    public void cancel() throws SQLException {
        current().cancel();
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        return current().getWarnings();
    }

    @Override
    public void clearWarnings() throws SQLException {
        current().clearWarnings();
    }

    @Override
    public ResultSet getResultSet() throws SQLException {
        return current().getResultSet();
    }

    @Override
    public int getUpdateCount() throws SQLException {
        return current().getUpdateCount();
    }

    @Override
    public long getLargeUpdateCount() throws SQLException {
        return current().getLargeUpdateCount();
    }

    @Override
    public boolean getMoreResults() throws SQLException {
        return current().getMoreResults();
    }

    @Override
    public boolean getMoreResults(int current) throws SQLException {
        return current().getMoreResults(current);
    }

    @Override
    public ResultSet getGeneratedKeys() throws SQLException {
        return current().getGeneratedKeys();
    }

    @Override
    public int getResultSetConcurrency() throws SQLException {
        return current().getResultSetConcurrency();
    }

    @Override
    public int getResultSetType() throws SQLException {
        return current().getResultSetType();
    }

    @Override
    public int getResultSetHoldability() throws SQLException {
        return current().getResultSetHoldability();
    }

    @Override
    public Connection getConnection() throws SQLException {
        checkOpen();
        return connection;
    }

    @Override
    public String enquoteLiteral(String val) throws SQLException {
        return current().enquoteLiteral(val);
    }

    @Override
    public String enquoteIdentifier(String identifier, boolean alwaysQuote) throws SQLException {
        return current().enquoteIdentifier(identifier, alwaysQuote);
    }

    @Override
    public boolean isSimpleIdentifier(String identifier) throws SQLException {
        return current().isSimpleIdentifier(identifier);
    }

    @Override
    public String enquoteNCharLiteral(String val) throws SQLException {
        return current().enquoteNCharLiteral(val);
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
