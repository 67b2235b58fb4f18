package org.pgha.driver.topology;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.postgresql.Driver;
import org.pgha.driver.PghaProperty;

/**
 * Physical connections opened with pgjdbc, for the non-pooled driver, and the monitor's probe
 * connections. pgjdbc's driver is called directly, not through {@code DriverManager}, so no
 * other registered driver is ever asked.
 */
public final class PgjdbcConnections implements NodeConnections {

    private static final Driver PGJDBC = new Driver();

    private final PghaConfig config;
    private final Properties properties;

    /**
     * Connections with the configuration's pass-through properties (user, password, sslmode,
     * ...). pgjdbc waits for a login without limit by default, which a hung node would turn
     * into a hung application: unless the application set them, {@code connectTimeout} and
     * {@code loginTimeout} are {@value #DEFAULT_CONNECT_SECONDS} s.
     */
    public PgjdbcConnections(PghaConfig config) {
        this(config, withDefaultTimeouts(config.pgjdbcProperties()));
    }

    static final int DEFAULT_CONNECT_SECONDS = 5;

    /**
     * The pgjdbc properties for physical connections to the nodes (the configuration's
     * pass-through properties, with the default connect and login timeouts), for a pool.
     */
    public static Properties physicalProperties(PghaConfig config) {
        return withDefaultTimeouts(config.pgjdbcProperties());
    }

    /**
     * A {@code DataSource} of one node's physical connections, for a pool: pgjdbc with
     * {@link #physicalProperties}. Its {@code toString} names the node only, so that a pool
     * logging its settings shows no password, {@code sslpassword} included.
     */
    public static javax.sql.DataSource nodeDataSource(PghaConfig config, HostSpec host) {
        return new NodeDataSource(config.pgjdbcUrl(host), physicalProperties(config), host);
    }

    private static final class NodeDataSource implements javax.sql.DataSource {
        private final String url;
        private final Properties properties;
        private final HostSpec host;
        private int loginTimeout;

        NodeDataSource(String url, Properties properties, HostSpec host) {
            this.url = url;
            this.properties = properties;
            this.host = host;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return open(url, properties);
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            Properties p = new Properties();
            p.putAll(properties);
            setOrRemove(p, "user", user);
            setOrRemove(p, "password", password);
            return open(url, p);
        }

        @Override
        public java.io.PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(java.io.PrintWriter out) {
            // pgha logs through SLF4J
        }

        /** Kept for the pool's sake; pgjdbc's own connectTimeout and loginTimeout apply. */
        @Override
        public void setLoginTimeout(int seconds) {
            this.loginTimeout = seconds;
        }

        @Override
        public int getLoginTimeout() {
            return loginTimeout;
        }

        @Override
        public java.util.logging.Logger getParentLogger() throws java.sql.SQLFeatureNotSupportedException {
            throw new java.sql.SQLFeatureNotSupportedException("pgha logs through SLF4J");
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper for " + iface.getName());
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }

        @Override
        public String toString() {
            return "pgjdbc connections to " + host;
        }
    }

    private static Properties withDefaultTimeouts(Properties p) {
        p.putIfAbsent("connectTimeout", Integer.toString(DEFAULT_CONNECT_SECONDS));
        p.putIfAbsent("loginTimeout", Integer.toString(DEFAULT_CONNECT_SECONDS));
        return p;
    }

    private PgjdbcConnections(PghaConfig config, Properties properties) {
        this.config = config;
        this.properties = properties;
    }

    /** The same, as another user. */
    public PgjdbcConnections withCredentials(String user, String password) {
        Properties p = withDefaultTimeouts(config.pgjdbcProperties());
        setOrRemove(p, "user", user);
        setOrRemove(p, "password", password);
        return new PgjdbcConnections(config, p);
    }

    /**
     * Connections for probes: as {@code monitorUser} if set, connect and login bounded by
     * {@code probeTimeout} (pgjdbc counts whole seconds, so at least one), named
     * {@code pgha monitor} in {@code pg_stat_activity}.
     */
    public static ProbeConnector probes(PghaConfig config) {
        Properties p = config.pgjdbcProperties();
        if (config.text(PghaProperty.MONITOR_USER) != null) {
            p.setProperty("user", config.text(PghaProperty.MONITOR_USER));
            setOrRemove(p, "password", config.text(PghaProperty.MONITOR_PASSWORD));
        }
        String seconds = Long.toString(Math.max(1, (config.duration(PghaProperty.PROBE_TIMEOUT).toMillis() + 999) / 1000));
        p.setProperty("connectTimeout", seconds);
        p.setProperty("loginTimeout", seconds);
        p.setProperty("ApplicationName", "pgha monitor");
        return host -> open(config.pgjdbcUrl(host), p);
    }

    private static void setOrRemove(Properties p, String key, String value) {
        if (value == null) {
            p.remove(key);
        } else {
            p.setProperty(key, value);
        }
    }

    private static Connection open(String url, Properties properties) throws SQLException {
        Connection c = PGJDBC.connect(url, properties);
        if (c == null) {
            throw new SQLException("pgjdbc did not accept the URL " + url, "08001");
        }
        return c;
    }

    @Override
    public Connection acquire(HostSpec node) throws SQLException {
        return open(config.pgjdbcUrl(node), properties);
    }

    @Override
    public void release(HostSpec node, Connection physical) {
        try {
            physical.close();
        } catch (SQLException ignored) {
            // a broken connection is closed all the same
        }
    }
}
