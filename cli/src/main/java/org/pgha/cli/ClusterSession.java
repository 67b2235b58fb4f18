package org.pgha.cli;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.pgha.driver.ClusterStatus;
import org.pgha.driver.PghaProperty;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.jdbc.ClusterAccess;
import org.pgha.driver.patroni.PatroniSource;
import org.pgha.driver.routing.Router;
import org.pgha.driver.topology.ClusterMonitor;
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

    /**
     * The monitor's latest snapshot, as the public status, with why each member serves no reads
     * (null where it does), in the status's order: all from the same snapshot and clock reading.
     */
    Snapshot snapshot() {
        Topology topology = monitor.topology();
        long now = monitor.nanoTime();
        ClusterStatus status = topology.status(now, Instant.now());
        List<String> reads = new ArrayList<>();
        for (NodeState n : topology.nodes()) {
            reads.add(router.readExclusion(n.host(), topology, now));
        }
        return new Snapshot(topology, status, reads);
    }

    /** @param reads per member of {@code status}, why it serves no reads, null where it does */
    record Snapshot(Topology topology, ClusterStatus status, List<String> reads) {
    }

    /** A connection to one node as the application's user, its statements bounded. */
    Connection connectAsApplication(HostSpec host) throws SQLException {
        return bounded(new PgjdbcConnections(config).acquire(host));
    }

    /** A connection to one node as the probes log in ({@code monitorUser} if set), its statements bounded. */
    Connection connectAsMonitor(HostSpec host) throws SQLException {
        return bounded(PgjdbcConnections.probes(config).connect(host));
    }

    /** The role the probes log in as. */
    String monitorRole() {
        String monitorUser = config.text(PghaProperty.MONITOR_USER);
        return monitorUser != null ? monitorUser : config.user();
    }

    private static Connection bounded(Connection c) throws SQLException {
        try {
            c.setNetworkTimeout(Runnable::run, (int) STATEMENT_TIMEOUT.toMillis());
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    @Override
    public void close() {
        monitor.close();
    }
}
