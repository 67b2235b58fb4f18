package org.pgha.driver.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.ClientInfoStatus;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Struct;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;
import org.pgha.driver.PghaConnection;
import org.pgha.driver.SessionReset;
import org.pgha.driver.failover.FailoverPath;
import org.pgha.driver.routing.NodeBinding;
import org.pgha.driver.routing.ReadYourWrites;
import org.pgha.driver.routing.Router;
import org.pgha.driver.topology.NodeState;
import org.pgha.driver.PghaProperty;

/**
 * The connection an application holds: a cheap object that borrows a physical connection
 * from the node the router chooses, lazily, when a statement needs one. This class is the JDBC
 * surface; its collaborators do the work:
 * <ul>
 *   <li>{@link NodeBinding} chooses and holds the node: a transaction is routed where it
 *       starts (the first statement after the connection was opened, after a commit or
 *       rollback, or every statement in autocommit mode); {@code readOnly=false} goes to the
 *       primary, {@code readOnly=true} to a replica within the lag bound (see {@link Router}).
 *       A connection stays on its node while that node still qualifies, and never moves inside
 *       a transaction. Statements created earlier follow it: they are re-created on the new
 *       physical connection with their settings and parameters.</li>
 *   <li>{@link FailoverPath} holds the transaction and recovers it when its node is lost.</li>
 *   <li>{@link ReadYourWrites}: once a statement on the primary is acknowledged (in autocommit
 *       mode, when it returns; in a transaction, when the commit returns), this connection's
 *       reads (and with a wider {@code readYourWritesScope}, those of its thread or of every
 *       connection of the DataSource) go only to replicas that have replayed past a primary
 *       position sampled after that moment.</li>
 *   <li>{@link SessionSettings}: session state set through this object (autocommit, read-only,
 *       isolation, holdability, catalog, schema, type map, client info, network timeout) or by
 *       SQL is applied to every physical connection it binds, and undone before a pooled one
 *       goes back.</li>
 * </ul>
 * Like a pgjdbc connection, it is meant for one thread at a time.
 */
public final class LogicalConnection implements Connection, PghaConnection {

    /** How often one statement runs before a failure is final. */
    static final int MAX_ATTEMPTS = FailoverPath.MAX_ATTEMPTS;

    private final Runnable onClose;
    final SessionSettings settings;
    final NodeBinding binding;
    final FailoverPath path;
    private final ConsistencyTokens tokens;
    private volatile boolean closed;

    public LogicalConnection(ClusterAccess access, Runnable onClose) {
        this.onClose = onClose;
        this.settings = new SessionSettings(access.config().choice(PghaProperty.SESSION_RESET, SessionReset.class) == SessionReset.ALWAYS);
        ReadYourWrites reads = new ReadYourWrites(access.config().flag(PghaProperty.READ_YOUR_WRITES), access.writeMarks());
        this.binding = new NodeBinding(access.monitor(), access.router(), access.connections(), access.config(),
                access.classifier()::nodeLost, new BoundSession(), this::checkOpen);
        this.path = new FailoverPath(binding, access.monitor(), access.classifier(), access.metrics(), access.config(),
                reads, new PathOwner());
        this.tokens = new ConsistencyTokens(access, binding, path, reads, this::checkOpen);
    }

    /** What the binding does to the sessions of the physical connections it binds. */
    private final class BoundSession implements NodeBinding.Session {
        @Override
        public void applyTo(Connection physical, boolean readOnly) throws SQLException {
            settings.applyTo(physical, path.autoCommit(), readOnly);
        }

        @Override
        public void bound() {
            settings.bound();
            path.bound();
        }

        @Override
        public boolean resetForReuse(Connection physical) {
            return settings.resetForReuse(physical);
        }
    }

    private final class PathOwner implements FailoverPath.Owner {
        @Override
        public void checkOpen() throws SQLException {
            LogicalConnection.this.checkOpen();
        }

        @Override
        public void transactionEnded(boolean committed) {
            settings.transactionEnded(committed);
        }
    }

    /** The physical connection for a statement; see {@link FailoverPath#physicalFor}. */
    Connection physicalFor(boolean execute) throws SQLException {
        return path.physicalFor(execute);
    }

    /** Called with every SQLException a physical connection throws: connection trouble makes the monitor look at once. */
    SQLException failed(SQLException e) {
        return binding.failed(e);
    }

    /** Looks at a statement's SQL after it succeeded, for what it does to the session. */
    void observed(String sql) {
        settings.observed(sql, !path.autoCommit());
    }

    /** Applies a connection-level call to the bound physical connection, if one is bound (see {@link FailoverPath#call}). */
    private void onPhysical(PhysicalAction action) throws SQLException {
        path.call(c -> {
            action.on(c);
            return null;
        }, false);
    }

    /** A call on a physical connection that returns nothing. */
    @FunctionalInterface
    private interface PhysicalAction {
        void on(Connection c) throws SQLException;
    }

    /** Makes a connection-level call on the bound physical connection, binding one first if none is. */
    private <T> T fromPhysical(FailoverPath.PhysicalCall<T> call) throws SQLException {
        return path.call(call, true);
    }

    /** Sets a session setting on the bound physical connection, if one is bound; the caller keeps it for the next ones. */
    private void set(PhysicalAction action) throws SQLException {
        checkOpen();
        if (binding.isBound()) {
            onPhysical(action);
        }
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
        return tokens.current();
    }

    @Override
    public void setConsistencyToken(String token) throws SQLException {
        checkOpen();
        tokens.require(token);
    }

    @Override
    public String currentNode() {
        NodeState n = binding.node();
        return !binding.isBound() || n == null ? null : n.host().toString();
    }

    // ------------------------------------------------------------------ statements

    @Override
    public Statement createStatement() throws SQLException {
        return new LogicalStatement(this, c -> c.createStatement(), true);
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
        return new LogicalPreparedStatement(this, c -> c.prepareStatement(sql), sql, true);
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int resultSetType, int resultSetConcurrency) throws SQLException {
        return new LogicalPreparedStatement(this, c -> c.prepareStatement(sql, resultSetType, resultSetConcurrency), sql, false);
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int resultSetType, int resultSetConcurrency, int resultSetHoldability)
            throws SQLException {
        return new LogicalPreparedStatement(this,
                c -> c.prepareStatement(sql, resultSetType, resultSetConcurrency, resultSetHoldability), sql, false);
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int autoGeneratedKeys) throws SQLException {
        return new LogicalPreparedStatement(this, c -> c.prepareStatement(sql, autoGeneratedKeys), sql, false);
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int[] columnIndexes) throws SQLException {
        int[] copy = columnIndexes == null ? null : columnIndexes.clone();
        return new LogicalPreparedStatement(this, c -> c.prepareStatement(sql, copy), sql, false);
    }

    @Override
    public PreparedStatement prepareStatement(String sql, String[] columnNames) throws SQLException {
        String[] copy = columnNames == null ? null : columnNames.clone();
        return new LogicalPreparedStatement(this, c -> c.prepareStatement(sql, copy), sql, false);
    }

    @Override
    public CallableStatement prepareCall(String sql) throws SQLException {
        return callable(fromPhysical(c -> c.prepareCall(sql)));
    }

    @Override
    public CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency) throws SQLException {
        return callable(fromPhysical(c -> c.prepareCall(sql, resultSetType, resultSetConcurrency)));
    }

    @Override
    public CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency, int resultSetHoldability)
            throws SQLException {
        return callable(fromPhysical(c -> c.prepareCall(sql, resultSetType, resultSetConcurrency, resultSetHoldability)));
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
                            path.physicalFor(true);
                            Object result = method.invoke(physicalCall, args);
                            path.executed();
                            path.notReplayable("it ran a callable statement");
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
        return fromPhysical(c -> c.nativeSQL(sql));
    }

    // ------------------------------------------------------------------ transactions

    @Override
    public void setAutoCommit(boolean autoCommit) throws SQLException {
        checkOpen();
        path.autoCommit(autoCommit);
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        checkOpen();
        return path.autoCommit();
    }

    /** Commits; a COMMIT whose answer is lost with its node is resolved (see {@link FailoverPath#commit}). */
    @Override
    public void commit() throws SQLException {
        path.commit();
    }

    @Override
    public void rollback() throws SQLException {
        path.rollback();
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        Savepoint savepoint = physicalFor(true).setSavepoint();
        // A savepoint ties the transaction to this physical connection: a later failure must
        // not be retried as if the transaction had just begun, nor replayed.
        path.tied("it set a savepoint");
        return savepoint;
    }

    @Override
    public Savepoint setSavepoint(String name) throws SQLException {
        Savepoint savepoint = physicalFor(true).setSavepoint(name);
        path.tied("it set a savepoint");
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
        path.readOnly(readOnly);
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        checkOpen();
        return path.readOnly();
    }

    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        set(c -> c.setTransactionIsolation(level));
        settings.isolation = level;
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        checkOpen();
        return settings.isolation != null ? settings.isolation : fromPhysical(Connection::getTransactionIsolation);
    }

    @Override
    public void setHoldability(int holdability) throws SQLException {
        set(c -> c.setHoldability(holdability));
        settings.holdability = holdability;
    }

    @Override
    public int getHoldability() throws SQLException {
        checkOpen();
        return settings.holdability != null ? settings.holdability : fromPhysical(Connection::getHoldability);
    }

    @Override
    public void setCatalog(String catalog) throws SQLException {
        set(c -> c.setCatalog(catalog));
        settings.catalog = catalog;
    }

    @Override
    public String getCatalog() throws SQLException {
        return fromPhysical(Connection::getCatalog);
    }

    @Override
    public void setSchema(String schema) throws SQLException {
        set(c -> c.setSchema(schema));
        settings.schema = schema;
    }

    @Override
    public String getSchema() throws SQLException {
        return fromPhysical(Connection::getSchema);
    }

    @Override
    public Map<String, Class<?>> getTypeMap() throws SQLException {
        checkOpen();
        return settings.typeMap != null ? new HashMap<>(settings.typeMap) : fromPhysical(Connection::getTypeMap);
    }

    @Override
    public void setTypeMap(Map<String, Class<?>> map) throws SQLException {
        set(c -> c.setTypeMap(map));
        settings.typeMap = map == null ? null : new HashMap<>(map);
    }

    @Override
    public void setClientInfo(String name, String value) throws SQLClientInfoException {
        clientInfoOnPhysical(c -> c.setClientInfo(name, value), Map.of(name, ClientInfoStatus.REASON_UNKNOWN));
        settings.clientInfo(name, value);
    }

    @Override
    public void setClientInfo(Properties properties) throws SQLClientInfoException {
        Map<String, ClientInfoStatus> failed = new HashMap<>();
        if (properties != null) {
            properties.stringPropertyNames().forEach(n -> failed.put(n, ClientInfoStatus.REASON_UNKNOWN));
        }
        clientInfoOnPhysical(c -> c.setClientInfo(properties), failed);
        settings.clientInfo = new Properties();
        settings.clientInfo.putAll(properties);
    }

    /** {@link #onPhysical} for {@code setClientInfo}, which may only throw {@link SQLClientInfoException}. */
    private void clientInfoOnPhysical(PhysicalAction action, Map<String, ClientInfoStatus> properties)
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
        return fromPhysical(c -> c.getClientInfo(name));
    }

    @Override
    public Properties getClientInfo() throws SQLException {
        return fromPhysical(Connection::getClientInfo);
    }

    @Override
    public void setNetworkTimeout(Executor executor, int milliseconds) throws SQLException {
        checkOpen();
        if (milliseconds < 0) {
            throw new SQLException("Network timeout must be a value greater than or equal to 0.", "22023");
        }
        set(c -> c.setNetworkTimeout(executor, milliseconds));
        settings.networkTimeoutExecutor = executor;
        settings.networkTimeoutMillis = milliseconds;
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        checkOpen();
        return settings.networkTimeoutMillis >= 0 ? settings.networkTimeoutMillis
                : fromPhysical(Connection::getNetworkTimeout);
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        checkOpen();
        return path.call(Connection::getWarnings, false);
    }

    @Override
    public void clearWarnings() throws SQLException {
        checkOpen();
        onPhysical(Connection::clearWarnings);
    }

    // ------------------------------------------------------------------ the rest

    @Override
    public DatabaseMetaData getMetaData() throws SQLException {
        DatabaseMetaData metaData = fromPhysical(Connection::getMetaData);
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
        return fromPhysical(Connection::createClob);
    }

    @Override
    public Blob createBlob() throws SQLException {
        return fromPhysical(Connection::createBlob);
    }

    @Override
    public NClob createNClob() throws SQLException {
        return fromPhysical(Connection::createNClob);
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
        return fromPhysical(Connection::createSQLXML);
    }

    @Override
    public Array createArrayOf(String typeName, Object[] elements) throws SQLException {
        return fromPhysical(c -> c.createArrayOf(typeName, elements));
    }

    @Override
    public Struct createStruct(String typeName, Object[] attributes) throws SQLException {
        return fromPhysical(c -> c.createStruct(typeName, attributes));
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
        if (!binding.isBound()) {
            return true;
        }
        boolean valid;
        try {
            valid = binding.alive() && binding.physical().isValid(timeout);
        } catch (SQLException e) {
            valid = false;
        }
        if (valid) {
            return true;
        }
        if (path.workAtStake()) {
            return false;
        }
        binding.dropLostNode();
        return true;
    }

    @Override
    public void close() throws SQLException {
        if (closed) {
            return;
        }
        closed = true;
        binding.release();
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
        // A pool's slot is given back: the aborted connection is evicted, never reused.
        binding.abort(executor);
        onClose.run();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        // What is done through pgjdbc's own connection is not in the journal.
        T unwrapped = fromPhysical(c -> c.unwrap(iface));
        path.exposed();
        return unwrapped;
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || fromPhysical(c -> c.isWrapperFor(iface));
    }

    @Override
    public String toString() {
        return "pgha connection" + (binding.isBound() ? " on " + binding : " (unbound)");
    }
}
