package org.pgha.pool;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariConfigMXBean;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import java.io.Closeable;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.pgha.driver.ClusterEventListener;
import org.pgha.driver.ClusterStatus;
import org.pgha.driver.PghaExceptionOverride;
import org.pgha.driver.PghaProperty;
import org.pgha.driver.PghaSqlState;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.jdbc.ClusterAccess;
import org.pgha.driver.jdbc.LogicalConnection;
import org.pgha.driver.topology.ClusterMonitor;

/**
 * A pooled {@link DataSource} for a pgha cluster: one HikariCP pool per node behind pgha's
 * router, configured as a {@code HikariDataSource} is.
 *
 * <pre>{@code
 * PghaPoolDataSource ds = new PghaPoolDataSource();
 * ds.setJdbcUrl("jdbc:pgha://db1,db2,db3/ehr?maxReplicaLag=1s");
 * ds.setUsername("ehr_app");
 * ds.setPassword(secret);
 * ds.setMaximumPoolSize(20);          // each node's pool; see setReplicaMaximumPoolSize
 * }</pre>
 *
 * <p>Every HikariCP setting applies to each node's pool. pgha's properties go in the URL or,
 * like pgjdbc's, through {@link #addDataSourceProperty}. {@link #getConnection()} returns at
 * once a logical connection, which borrows a physical connection from the pool of the node
 * the router picks when its first statement runs, and gives it back at {@code close()} (or
 * between transactions, when {@code setReadOnly} sends it elsewhere). Everything the
 * driver does (routing, read-your-writes, failover, retry, replay, commit-outcome resolution)
 * works the same through the pool.
 *
 * <p>The settings are read when the first connection is asked for; later changes have no
 * effect, apart from those HikariCP itself applies to running pools.
 */
public class PghaPoolDataSource extends HikariConfig implements DataSource, Closeable {

    private static final String PREFIX = "jdbc:pgha:";

    private final List<ClusterEventListener> listeners = new CopyOnWriteArrayList<>();
    private PghaExceptionOverride exceptionOverride;
    private int replicaMaximumPoolSize = -1;
    private int replicaMinimumIdle = -1;
    private PrintWriter logWriter;

    private volatile Running running;
    private volatile boolean closed;

    /** What exists once the first connection was asked for. */
    private record Running(ClusterAccess access, NodePools pools, PoolMeters meters) {
    }

    /** Settings from HikariCP's setters. */
    public PghaPoolDataSource() {
        super();
    }

    /**
     * Settings from properties, with HikariCP's names ({@code jdbcUrl}, {@code username},
     * {@code maximumPoolSize}, {@code dataSource.sslmode}, ...) and pgha's
     * ({@code maxReplicaLag}, ...), which are taken as data source properties.
     */
    public PghaPoolDataSource(Properties properties) {
        super();
        Properties hikari = new Properties();
        for (String name : properties.stringPropertyNames()) {
            String value = properties.getProperty(name);
            if (PghaProperty.forName(name).isPresent()) {
                addDataSourceProperty(name, value);
            } else if (name.equals("replicaMaximumPoolSize")) {
                setReplicaMaximumPoolSize(wholeNumber(name, value));
            } else if (name.equals("replicaMinimumIdle")) {
                setReplicaMinimumIdle(wholeNumber(name, value));
            } else {
                hikari.setProperty(name, value);
            }
        }
        Map<Object, Object> own = Map.copyOf(getDataSourceProperties());
        new HikariConfig(hikari).copyStateTo(this);
        getDataSourceProperties().putAll(own);
    }

    private static int wholeNumber(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, not '" + value + "'", e);
        }
    }

    /** The most connections of each replica's pool; unset (-1): {@code maximumPoolSize}, as the primary's. */
    public void setReplicaMaximumPoolSize(int size) {
        if (size < 1 && size != -1) {
            throw new IllegalArgumentException("replicaMaximumPoolSize must be at least 1, or -1 for maximumPoolSize: " + size);
        }
        this.replicaMaximumPoolSize = size;
    }

    public int getReplicaMaximumPoolSize() {
        return replicaMaximumPoolSize;
    }

    /** The idle connections each replica's pool keeps; unset (-1): {@code minimumIdle}, as the primary's. */
    public void setReplicaMinimumIdle(int idle) {
        if (idle < -1) {
            throw new IllegalArgumentException("replicaMinimumIdle must be 0 or more, or -1 for minimumIdle: " + idle);
        }
        this.replicaMinimumIdle = idle;
    }

    public int getReplicaMinimumIdle() {
        return replicaMinimumIdle;
    }

    /** Overrides pgha's verdict on failures; see {@link PghaExceptionOverride}. */
    public void setExceptionOverride(PghaExceptionOverride override) {
        this.exceptionOverride = override;
    }

    /** Receives the topology monitor's events; may be added before or after the first connection. */
    public void addClusterEventListener(ClusterEventListener listener) {
        listeners.add(listener);
        Running r = running;
        if (r != null) {
            r.access().monitor().addListener(listener);
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
        return start().access().monitor().status();
    }

    /**
     * Accepts the history of the only primary after pgha found it lacking writes a newer
     * primary took ({@link org.pgha.driver.ClusterEvent.Type#HISTORY_DIVERGED}, {@link ClusterStatus.Writes#HISTORY_DIVERGED}):
     * writes and reads go to it from now on, and the writes only the newer history held stay
     * lost. An operator's decision: see {@code docs/operations.md}.
     *
     * @return whether there was a diverged history to accept
     * @throws SQLException if the configuration is invalid or the DataSource is closed
     */
    public boolean acceptDivergedHistory() throws SQLException {
        return start().access().monitor().acceptDivergedHistory();
    }

    @Override
    public Connection getConnection() throws SQLException {
        // The connection holds on to this DataSource (the cleaner must not stop what it uses).
        return new LogicalConnection(start().access(), this::connectionClosed);
    }

    /** Not supported, as with HikariCP: a pool's connections all have the configured user. */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("PghaPoolDataSource connections all use the configured user");
    }

    private Running start() throws SQLException {
        Running r = running;
        if (r != null && !closed) {
            return r;
        }
        synchronized (this) {
            if (closed) {
                throw new SQLException("This PghaPoolDataSource has been closed.", "08003");
            }
            if (running == null) {
                String url = getJdbcUrl();
                if (url == null || !url.startsWith(PREFIX)) {
                    // Only the scheme is shown: the rest of a URL may carry a password.
                    throw new SQLException("PghaPoolDataSource needs a jdbc:pgha://host1,host2,.../database URL in"
                            + " jdbcUrl, not " + (url == null ? "none" : "a URL starting '" + scheme(url) + "'"),
                            PghaSqlState.INVALID_CONFIGURATION);
                }
                Properties properties = new Properties();
                getDataSourceProperties().forEach((k, v) -> properties.setProperty(k.toString(), v.toString()));
                if (getUsername() != null) {
                    properties.setProperty("user", getUsername());
                }
                if (getPassword() != null) {
                    properties.setProperty("password", getPassword());
                }
                PghaConfig config = PghaConfig.parse(url, properties);
                PoolMeters meters = getMetricRegistry() == null ? null : PoolMeters.of(getMetricRegistry());
                NodePools[] pools = new NodePools[1];
                ClusterAccess access = ClusterAccess.open(config,
                        monitor -> pools[0] = new NodePools(this, config, monitor), getMetricRegistry(), listeners,
                        exceptionOverride);
                running = new Running(access, pools[0], meters);
                CLEANER.register(this, new Shutdown(pools[0], access.monitor()));
                // A listener added while the monitor started, after open() registered the others.
                listeners.forEach(access.monitor()::addListener);
            }
            return running;
        }
    }

    /** What comes before {@code //} (or the first 12 characters), safe to show. */
    static String scheme(String url) {
        int slashes = url.indexOf("//");
        String head = slashes >= 0 ? url.substring(0, slashes) : url.substring(0, Math.min(12, url.length()));
        return head.replaceAll("[^A-Za-z0-9:._-]", "?") + (slashes >= 0 ? "//..." : "...");
    }

    /** The pool name, or a default naming the cluster. */
    String poolName() {
        String name = getPoolName();
        return name != null ? name : "pgha";
    }

    /** HikariCP's meters of one node's pool, or null without a registry. */
    MetricsTrackerFactory metricsTrackerFactory(HostSpec host) {
        Running r = running;
        return r == null || r.meters() == null ? null : r.meters().factory(host, r.access().monitor());
    }

    /** A borrow from a node's pool timed out. */
    void timedOut(HostSpec host) {
        Running r = running;
        if (r != null && r.meters() != null) {
            r.meters().timedOut(host);
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Stops the topology monitor and shuts every node's pool down. Connections still borrowed
     * are closed when HikariCP's shutdown wait ends.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Running r = running;
        if (r != null) {
            new Shutdown(r.pools(), r.access().monitor()).run();
        }
    }

    private void connectionClosed() {
        // Nothing to do: the reference is what matters.
    }

    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

    /**
     * Shuts the node pools and the monitor down, for {@link #close()} and for a DataSource that
     * was garbage-collected without it; holds no reference to the DataSource.
     */
    private record Shutdown(NodePools pools, ClusterMonitor monitor) implements Runnable {
        @Override
        public void run() {
            pools.close();
            monitor.close();
        }
    }

    /** The node pools' settings, for tests. */
    Map<HostSpec, com.zaxxer.hikari.HikariConfig> nodePoolConfigs() {
        Running r = running;
        return r == null ? Map.of() : r.pools().configs();
    }

    /** The node pools, for tests. */
    Map<HostSpec, com.zaxxer.hikari.pool.HikariPool> nodePools() {
        Running r = running;
        return r == null ? Map.of() : r.pools().pools();
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
        addDataSourceProperty("loginTimeout", Integer.toString(seconds));
    }

    @Override
    public int getLoginTimeout() {
        Object value = getDataSourceProperties().get("loginTimeout");
        return value == null ? 0 : Integer.parseInt(value.toString());
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("pgha logs through SLF4J");
    }

    /**
     * This object for any type it is, except HikariCP's {@code HikariConfigMXBean}: tools that
     * unwrap a DataSource to it (Spring Boot's pool metadata and metrics among them) take what
     * they get for a {@code HikariDataSource}, one pool, which this is not.
     */
    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (isWrapperFor(iface)) {
            return iface.cast(this);
        }
        throw new SQLException("PghaPoolDataSource is not a wrapper for " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this) && iface != HikariConfigMXBean.class;
    }

    @Override
    public String toString() {
        return "PghaPoolDataSource (" + poolName() + ", " + (running == null ? "not started" : nodePools().size() + " node pools")
                + (closed ? ", closed" : "") + ")";
    }
}
