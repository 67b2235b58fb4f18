package org.pgha.driver.topology;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.pgha.driver.PghaProperty;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's probe thread: probes on a connection kept open, reports each answer or failure
 * to its monitor, and pauses as the monitor says (fast while a failure is being resolved),
 * or backs off while the node rejects the client ({@link Rejection}). A probe that takes
 * longer than {@code probeTimeout} is a failure, and its connection is dropped.
 */
final class NodeProber implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(NodeProber.class);

    /** What a prober needs of its monitor. */
    interface Owner {
        boolean closed();

        /** The pause before the next probe of {@code host}, in milliseconds. */
        long pauseMillis(HostSpec host);

        /** The node was probed for the first time (answered or failed). */
        void firstProbed(HostSpec host);

        void succeeded(HostSpec host, long sentAt, ProbeResult result);

        /**
         * @param error what went wrong, for the node's state
         * @param timedOut whether the probe took {@code probeTimeout} or longer
         */
        void failed(HostSpec host, long sentAt, SQLException failure, String error, boolean timedOut);

        /**
         * How many times every pause was cut short (fast probing asked for, the monitor
         * closing); read under the wake lock. A change ends a pause, a nudge of another prober does not.
         */
        long wakeups();
    }

    final HostSpec host;
    final Thread thread;
    private final PghaConfig config;
    private final ProbeConnector connector;
    private final LongSupplier nanoClock;
    private final Owner owner;
    /** Notified to cut a pause short (fast probing asked for, or the monitor closing). */
    private final Object wake;
    private final String cluster;
    private volatile Connection connection;
    private volatile boolean stopped;
    private boolean counted;
    /** Probes in a row that the node rejected ({@link Rejection#rejects}). */
    private int rejections;
    /** When a nudge wants the next probe sent ({@link System#nanoTime()}); guarded by {@link #wake}. */
    private long nudgedFor;
    private boolean nudged;

    NodeProber(HostSpec host, PghaConfig config, ProbeConnector connector, LongSupplier nanoClock,
            Owner owner, Object wake) {
        this.host = host;
        this.config = config;
        this.connector = connector;
        this.nanoClock = nanoClock;
        this.owner = owner;
        this.wake = wake;
        this.cluster = config.clusterKey();
        this.thread = new Thread(this, "pgha-probe-" + host);
        this.thread.setDaemon(true);
    }

    private boolean closed() {
        return stopped || owner.closed();
    }

    @Override
    public void run() {
        while (!closed()) {
            probeOnce();
            if (!counted) {
                counted = true;
                owner.firstProbed(host);
            }
            pause();
        }
        closeConnection();
    }

    private void probeOnce() {
        long sentAt = nanoClock.getAsLong();
        long timeout = config.duration(PghaProperty.PROBE_TIMEOUT).toNanos();
        try {
            ProbeResult result = probe();
            long took = nanoClock.getAsLong() - sentAt;
            if (took > timeout) {
                closeConnection();
                String error = "probe took " + TimeUnit.NANOSECONDS.toMillis(took) + " ms, over probeTimeout";
                owner.failed(host, sentAt, new SQLException(host + ": " + error, "08006"), error, true);
            } else {
                if (rejections > 0) {
                    log.info("pgha cluster {}: node {} accepts the monitor again", cluster, host);
                }
                rejections = 0;
                owner.succeeded(host, sentAt, result);
            }
        } catch (SQLException | RuntimeException e) {
            closeConnection();
            String error = describe(e);
            if (e instanceof SQLException sql && Rejection.rejects(sql)) {
                rejections++;
                if (rejections == 1) {
                    log.warn("pgha cluster {}: node {} rejects the monitor: {}; probing it again at most every {}"
                            + " until it accepts", cluster, host, error,
                            PghaProperty.formatDuration(ClusterMonitor.MAX_REJECTED_INTERVAL));
                }
            } else {
                rejections = 0;
            }
            if (!closed()) {
                boolean timedOut = nanoClock.getAsLong() - sentAt >= timeout;
                SQLException failure = e instanceof SQLException sql ? sql
                        : new SQLException(host + ": " + error, "08006", e);
                owner.failed(host, sentAt, failure, error, timedOut);
            }
        }
    }

    private ProbeResult probe() throws SQLException {
        Connection c = connection;
        if (c == null) {
            c = connector.connect(host);
            c.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, config.duration(PghaProperty.PROBE_TIMEOUT).toMillis()));
            c.setAutoCommit(true);
            connection = c;
        }
        return ProbeResult.of(c);
    }

    private void pause() {
        if (rejections > 0) {
            backOff();
            return;
        }
        long millis = owner.pauseMillis(host);
        synchronized (wake) {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            long wakeups = owner.wakeups();
            while (!closed() && owner.wakeups() == wakeups) {
                long due = nudged && nudgedFor - until < 0 ? nudgedFor : until;
                long left = due - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    wake.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopped = true;
                    return;
                }
            }
            nudged = false;
        }
    }

    /**
     * Asks for the next probe {@code delayNanos} from now, or sooner if it was due sooner: the
     * monitor probes the replicas right after each primary sample, so that a replica's position
     * is compared with a sample taken just before it.
     */
    void nudge(long delayNanos) {
        synchronized (wake) {
            nudgedFor = System.nanoTime() + delayNanos;
            nudged = true;
            wake.notifyAll();
        }
    }

    /**
     * The pause after a rejection: {@code probeInterval} doubled with each rejection in a row,
     * at most {@link ClusterMonitor#MAX_REJECTED_INTERVAL}; requests for fast probes do not cut
     * it short.
     */
    private void backOff() {
        long millis = config.duration(PghaProperty.PROBE_INTERVAL).toMillis() << Math.min(rejections - 1, 20);
        // Real time, whatever clock the monitor measures probes on.
        long until = System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(Math.min(millis, ClusterMonitor.MAX_REJECTED_INTERVAL.toMillis()));
        synchronized (wake) {
            for (long left = until - System.nanoTime(); !closed() && left > 0; left = until - System.nanoTime()) {
                try {
                    wake.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopped = true;
                }
            }
        }
    }

    /** Ends this prober alone (its node left the cluster): its thread ends after the probe it is in. */
    void stop() {
        stopped = true;
        thread.interrupt();
        closeConnection();
    }

    /** Drops the probe connection: abort, not close, which would wait on a hung node's socket. */
    void closeConnection() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                // it is going away either way
            }
        }
    }

    private static String describe(Exception e) {
        String state = e instanceof SQLException ? ((SQLException) e).getSQLState() : null;
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return state == null ? message : message + " (SQLState " + state + ")";
    }
}
