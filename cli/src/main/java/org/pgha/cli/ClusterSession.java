package org.pgha.cli;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.pgha.driver.ClusterStatus;
import org.pgha.driver.PghaProperty;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.jdbc.ClusterAccess;
import org.pgha.driver.patroni.PatroniSource;
import org.pgha.driver.routing.Router;
import org.pgha.driver.topology.ClusterMonitor;
import org.pgha.driver.topology.NodeRole;
import org.pgha.driver.topology.NodeState;
import org.pgha.driver.topology.PgjdbcConnections;
import org.pgha.driver.topology.Topology;

/**
 * The cluster as an application with this URL sees it: a topology monitor of its own (with
 * the URL's probe settings and its Patroni source, if any) and the URL's routing rules, plus
 * plain connections to single nodes for the doctor's questions.
 */
final class ClusterSession implements AutoCloseable {

    /** Bounds every statement the commands send, so that a hung node cannot hang them. */
    static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(5);

    private static final org.postgresql.Driver PGJDBC = new org.postgresql.Driver();

    final PghaConfig config;
    final ClusterMonitor monitor;
    final Router router;

    private ClusterSession(PghaConfig config, ClusterMonitor monitor) {
        this.config = config;
        this.monitor = monitor;
        this.router = ClusterAccess.router(config);
    }

    /**
     * Starts the monitor, waits for its first round of probes, then a little longer (at most
     * about two seconds) until every replica that answers has a lag pgha can bound, as a
     * running application would have.
     */
    static ClusterSession open(PghaConfig config) {
        ClusterMonitor monitor = new ClusterMonitor(config, PgjdbcConnections.probes(config), System::nanoTime,
                Clock.systemUTC());
        monitor.start();
        ClusterSession session = new ClusterSession(config, monitor);
        try {
            PatroniSource.attachTo(monitor);
            monitor.awaitFirstRound();
            session.settle();
            return session;
        } catch (RuntimeException e) {
            monitor.close();
            throw e;
        }
    }

    private void settle() {
        long interval = config.duration(PghaProperty.PROBE_INTERVAL).toNanos();
        long start = System.nanoTime();
        long earliest = start + 2 * interval;
        long latest = start + Math.max(4 * interval, TimeUnit.SECONDS.toNanos(2));
        while (System.nanoTime() < latest) {
            long now = System.nanoTime();
            if (now >= earliest && lagsKnown(monitor.topology(), now)) {
                return;
            }
            sleep(Math.min(interval, TimeUnit.MILLISECONDS.toNanos(50)));
        }
    }

    private static boolean lagsKnown(Topology topology, long now) {
        if (!topology.writeTarget().isOk() && topology.readBasis().isNone()) {
            return true; // nothing to bound replicas against: waiting changes nothing
        }
        for (NodeState n : topology.replicas()) {
            if (topology.lagNanos(n, now) == Long.MAX_VALUE) {
                return false;
            }
        }
        return true;
    }

    static void sleep(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The monitor's latest snapshot. */
    Topology topology() {
        return monitor.topology();
    }

    /** The latest snapshot as the public status. */
    ClusterStatus status() {
        return monitor.status();
    }

    /** Why {@code host} serves no reads now, or null if it is a replica within the bound. */
    String readExclusion(HostSpec host) {
        return router.readExclusion(host, monitor.topology(), monitor.nanoTime());
    }

    /**
     * One snapshot as the public status, with why each member serves no reads (null where it
     * does), in the status's order: both from the same snapshot and clock reading.
     */
    Snapshot snapshot() {
        Topology topology = monitor.topology();
        long now = monitor.nanoTime();
        ClusterStatus status = topology.status(now, java.time.Instant.now());
        java.util.List<String> reads = new java.util.ArrayList<>();
        for (NodeState n : topology.nodes()) {
            reads.add(router.readExclusion(n.host(), topology, now));
        }
        return new Snapshot(status, reads);
    }

    record Snapshot(ClusterStatus status, java.util.List<String> reads) {
    }

    boolean isReplica(HostSpec host) {
        return monitor.topology().node(host).filter(n -> n.up() && !n.refused() && n.role() == NodeRole.REPLICA)
                .isPresent();
    }

    /** A connection to one node as the application's user, its statements bounded. */
    Connection connectAsApplication(HostSpec host) throws SQLException {
        return connect(host, PgjdbcConnections.physicalProperties(config));
    }

    /** A connection to one node as the probes log in: {@code monitorUser} if set, else the application's user. */
    Connection connectAsMonitor(HostSpec host) throws SQLException {
        Properties p = PgjdbcConnections.physicalProperties(config);
        String monitorUser = config.text(PghaProperty.MONITOR_USER);
        if (monitorUser != null) {
            p.setProperty("user", monitorUser);
            String password = config.text(PghaProperty.MONITOR_PASSWORD);
            if (password == null) {
                p.remove("password");
            } else {
                p.setProperty("password", password);
            }
        }
        return connect(host, p);
    }

    /** The role the probes log in as. */
    String monitorRole() {
        String monitorUser = config.text(PghaProperty.MONITOR_USER);
        return monitorUser != null ? monitorUser : config.user();
    }

    private Connection connect(HostSpec host, Properties p) throws SQLException {
        p.setProperty("socketTimeout", Long.toString(STATEMENT_TIMEOUT.toSeconds()));
        p.setProperty("ApplicationName", "pgha doctor");
        Connection c = PGJDBC.connect(config.pgjdbcUrl(host), p);
        if (c == null) {
            throw new SQLException("pgjdbc did not accept the URL of " + host, "08001");
        }
        return c;
    }

    @Override
    public void close() {
        monitor.close();
    }
}
