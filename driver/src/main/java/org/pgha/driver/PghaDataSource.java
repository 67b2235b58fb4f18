package org.pgha.driver;

import java.io.Closeable;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.pgha.codegen.PropertySetters;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.jdbc.ClusterAccess;
import org.pgha.driver.jdbc.LogicalConnection;
import org.pgha.driver.topology.PgjdbcConnections;

/**
 * A non-pooled {@link DataSource} for a pgha cluster. It owns its topology monitor, started by
 * the first {@link #getConnection()} and stopped by {@link #close()}; its settings are sealed
 * from then on. Each connection opens its physical connection with pgjdbc when it first needs
 * one; for pooling use {@code PghaPoolDataSource} from {@code pgha-pool}.
 *
 * <pre>{@code
 * PghaDataSource ds = new PghaDataSource();
 * ds.setUrl("jdbc:pgha://db1,db2,db3/ehr");
 * ds.setUser("ehr");
 * ds.setPassword(secret);
 * ds.setMaxReplicaLag("1s");
 * }</pre>
 *
 * Every pgha property has a setter, generated from {@link PghaProperty} (see
 * {@link PghaDataSourceProperties}): a {@code boolean}, {@code int} or {@code long} where the
 * property is one, its text form (as in a URL) otherwise. {@link #setProperty} sets any
 * property, pgjdbc's included. Properties set here override the URL's parameters.
 */
@PropertySetters(properties = PghaProperty.class, name = "PghaDataSourceProperties")
public final class PghaDataSource extends PghaDataSourceProperties implements DataSource, Closeable {

    private String url;
    private final Properties properties = new Properties();
    private final List<ClusterEventListener> listeners = new CopyOnWriteArrayList<>();
    private Object metricRegistry;
    private PghaExceptionOverride exceptionOverride;
    private int loginTimeout;
    private PrintWriter logWriter;

    private volatile ClusterAccess access;
    private volatile boolean closed;
    /** Monitors for {@link #getConnection(String, String)} when no user probes for all; guarded by this. */
    private final java.util.Map<String, ClusterAccess> byCredentials = new java.util.HashMap<>();
    /** Every monitor this DataSource started, closed by {@link #close()} or, if it is never called, by the cleaner. */
    private final java.util.Set<org.pgha.driver.topology.ClusterMonitor> monitors =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The {@code jdbc:pgha://...} URL. */
    public void setUrl(String url) {
        checkNotStarted();
        this.url = url;
    }

    public String getUrl() {
        return url;
    }

    public void setUser(String user) {
        setProperty("user", user);
    }

    public String getUser() {
        return properties.getProperty("user");
    }

    public void setPassword(String password) {
        setProperty("password", password);
    }

    /** Sets a pgha or pgjdbc property by name, as in a URL parameter; null removes it. */
    @Override
    public void setProperty(String name, String value) {
        checkNotStarted();
        if (value == null) {
            properties.remove(name);
        } else {
            properties.setProperty(name, value);
        }
    }

    /** A property set on this DataSource (not one from the URL), or null. */
    public String getProperty(String name) {
        return properties.getProperty(name);
    }

    /** Overrides pgha's verdict on failures; see {@link PghaExceptionOverride}. */
    public void setExceptionOverride(PghaExceptionOverride override) {
        checkNotStarted();
        this.exceptionOverride = override;
    }

    /**
     * A Micrometer {@code MeterRegistry} for pgha's meters (see docs/metrics.md). Typed
     * {@code Object}, as in HikariCP, so that Micrometer stays optional.
     *
     * @throws IllegalArgumentException at the first connection if it is not a MeterRegistry
     */
    public void setMetricRegistry(Object registry) {
        checkNotStarted();
        this.metricRegistry = registry;
    }

    public Object getMetricRegistry() {
        return metricRegistry;
    }

    /** Receives the topology monitor's events; may be added before or after the first connection. */
    public void addClusterEventListener(ClusterEventListener listener) {
        listeners.add(listener);
        // After the add: a start that published its access before this read sees the listener
        // in its own pass over the list (and addListener adds a listener once).
        for (org.pgha.driver.topology.ClusterMonitor monitor : monitors) {
            monitor.addListener(listener);
        }
    }

    /**
     * What the topology monitor knows now: where writes go and every node's role, state and
     * lag. Starts the monitor if no connection did yet, and then waits for its first round of
     * probes (at most a few probe timeouts), so a health check may call it before any traffic.
     *
     * @throws SQLException if the configuration is invalid or the DataSource is closed
     */
    public ClusterStatus clusterStatus() throws SQLException {
        return start().monitor().status();
    }

    /**
     * Accepts the history of the only primary after pgha found it lacking writes a newer
     * primary took ({@link ClusterEvent.Type#HISTORY_DIVERGED}, {@link ClusterStatus.Writes#HISTORY_DIVERGED}):
     * writes and reads go to it from now on, and the writes only the newer history held stay
     * lost. An operator's decision: see {@code docs/operations.md}.
     *
     * @return whether there was a diverged history to accept
     * @throws SQLException if the configuration is invalid or the DataSource is closed
     */
    public boolean acceptDivergedHistory() throws SQLException {
        return start().monitor().acceptDivergedHistory();
    }

    @Override
    public Connection getConnection() throws SQLException {
        ClusterAccess a = start();
        return new LogicalConnection(a, this::connectionClosed);
    }

    /**
     * A connection as another user. The probes log in as {@code monitorUser} if set, else as
     * this DataSource's user; a DataSource with neither has one topology monitor per distinct
     * user and password given here, probing as that user (never as the operating system's
     * user, pgjdbc's default), all closed with the DataSource. With many users, set
     * {@code monitorUser}: each monitor keeps a probe connection to every node.
     */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        ClusterAccess a = start();
        PghaConfig config = a.config();
        if (config.user() != null || config.text(PghaProperty.MONITOR_USER) != null) {
            PgjdbcConnections asUser = new PgjdbcConnections(config).withCredentials(username, password);
            return new LogicalConnection(a.withConnections(asUser), this::connectionClosed);
        }
        return new LogicalConnection(accessAs(config.withCredentials(username, password)), this::connectionClosed);
    }

    private ClusterAccess accessAs(PghaConfig config) throws SQLException {
        String key = config.connectionKey();
        synchronized (this) {
            if (closed) {
                throw new SQLException("This PghaDataSource has been closed.", "08003");
            }
            ClusterAccess a = byCredentials.get(key);
            if (a == null) {
                a = ClusterAccess.open(config, monitor -> new PgjdbcConnections(config), metricRegistry, listeners,
                        exceptionOverride);
                byCredentials.put(key, a);
                monitors.add(a.monitor());
            }
            return a;
        }
    }

    private ClusterAccess start() throws SQLException {
        ClusterAccess a = access;
        if (a != null) {
            if (closed) {
                throw new SQLException("This PghaDataSource has been closed.", "08003");
            }
            return a;
        }
        synchronized (this) {
            if (closed) {
                throw new SQLException("This PghaDataSource has been closed.", "08003");
            }
            if (access == null) {
                if (url == null) {
                    throw new SQLException("No URL set on the PghaDataSource: call setUrl(\"jdbc:pgha://...\")",
                            PghaSqlState.INVALID_CONFIGURATION);
                }
                PghaConfig config = PghaConfig.parse(url, properties);
                ClusterAccess opened = ClusterAccess.open(config, monitor -> new PgjdbcConnections(config), metricRegistry,
                        listeners, exceptionOverride);
                monitors.add(opened.monitor());
                CLEANER.register(this, new CloseMonitors(monitors));
                access = opened;
                // A listener added while the monitor started, after open() registered the others.
                listeners.forEach(opened.monitor()::addListener);
            }
            return access;
        }
    }

    /**
     * Stops the topology monitor (or monitors). Open connections keep their physical
     * connections until closed. A DataSource that is never closed has its monitors stopped
     * once it is garbage-collected, but close it: until then its probe threads and connections
     * stay.
     */
    @Override
    public synchronized void close() {
        closed = true;
        new CloseMonitors(monitors).run();
    }

    /** A connection's close hook: it holds this DataSource, so the cleaner never stops what an open connection uses. */
    private void connectionClosed() {
        // Nothing to do: the reference is what matters.
    }

    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

    /** Stops a DataSource's monitors; holds no reference to the DataSource, so that it can be collected. */
    private record CloseMonitors(java.util.Set<org.pgha.driver.topology.ClusterMonitor> monitors) implements Runnable {
        @Override
        public void run() {
            for (org.pgha.driver.topology.ClusterMonitor monitor : monitors) {
                monitor.close();
            }
        }
    }

    private void checkNotStarted() {
        if (access != null) {
            throw new IllegalStateException("The PghaDataSource's settings are sealed once it has handed out a connection");
        }
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    @Override
    public void setLoginTimeout(int seconds) {
        this.loginTimeout = seconds;
        if (seconds > 0) {
            setProperty("loginTimeout", Integer.toString(seconds));
        }
    }

    @Override
    public int getLoginTimeout() {
        return loginTimeout;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("pgha logs through SLF4J");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("PghaDataSource is not a wrapper for " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    @Override
    public String toString() {
        ClusterAccess a = access;
        return "PghaDataSource[" + (a != null ? a.config() : "not started, url " + (url == null ? "unset" : "set")) + "]";
    }
}
