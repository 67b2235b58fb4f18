package org.pgha.driver;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.jdbc.ClusterAccess;
import org.pgha.driver.jdbc.LogicalConnection;
import org.pgha.driver.jdbc.MonitorRegistry;
import org.pgha.driver.topology.PgjdbcConnections;

/**
 * The JDBC driver for {@code jdbc:pgha://host1[:port],host2[:port],.../database?param=value}.
 * Registered with {@code DriverManager} through {@code META-INF/services/java.sql.Driver}.
 * Parameters that are not pgha's pass through to pgjdbc; see docs/configuration.md.
 *
 * <p>Connections to the same cluster (the same hosts in any order, database and user) share
 * one topology monitor, which stops when the last of them closes. An application that keeps
 * no connection open between uses pays a first probe round per use: use
 * {@link PghaDataSource} or a pool instead.
 */
public final class PghaDriver implements Driver {

    static {
        try {
            DriverManager.registerDriver(new PghaDriver());
        } catch (SQLException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MonitorRegistry monitors = new MonitorRegistry();

    @Override
    public Connection connect(String url, Properties info) throws SQLException {
        if (!acceptsURL(url)) {
            return null;
        }
        PghaConfig config = PghaConfig.parse(url, info == null ? new Properties() : info);
        MonitorRegistry.Lease lease = monitors.acquire(config);
        // The lease's connections carry the first connection's password: a different one
        // (a rotated secret) opens its physical connections with its own.
        ClusterAccess access = lease.access().withConnections(new PgjdbcConnections(config));
        return new LogicalConnection(access, lease);
    }

    @Override
    public boolean acceptsURL(String url) {
        return url != null && PghaConfig.acceptsUrl(url);
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
        return PghaProperty.propertyInfo(info == null ? new Properties() : info);
    }

    @Override
    public int getMajorVersion() {
        return 0;
    }

    @Override
    public int getMinorVersion() {
        return 1;
    }

    /** Not JDBC-compliant in the certification sense; behaviour is pgjdbc's. */
    @Override
    public boolean jdbcCompliant() {
        return false;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("pgha logs through SLF4J");
    }

    /** How many clusters this driver monitors right now, for tests and diagnostics. */
    int monitoredClusters() {
        return monitors.size();
    }
}
