package org.pgha.driver.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Shares one {@link ClusterMonitor} between the {@code DriverManager} connections to one
 * cluster (the same hosts, database and user, in any order), and closes it with the last of
 * them. Owned by the driver instance; a DataSource owns its monitor instead. The monitor runs
 * with the probe settings of the connection that started it.
 */
public final class MonitorRegistry {

    private final Map<String, Entry> monitors = new HashMap<>();

    private static final class Entry {
        final ClusterMonitor monitor;
        int users;

        Entry(ClusterMonitor monitor) {
            this.monitor = monitor;
        }
    }

    /** A monitor for the configuration's cluster, started and probed once; release it when done. */
    public ClusterMonitor acquire(PghaConfig config) {
        String key = config.clusterKey();
        Entry entry;
        boolean created = false;
        synchronized (monitors) {
            entry = monitors.get(key);
            if (entry == null) {
                entry = new Entry(new ClusterMonitor(config, PgjdbcConnections.probes(config), System::nanoTime, Clock.systemUTC()));
                monitors.put(key, entry);
                created = true;
            }
            entry.users++;
        }
        if (created) {
            entry.monitor.start();
        }
        entry.monitor.awaitFirstRound(firstRoundTimeout(config));
        return entry.monitor;
    }

    /** Gives back a monitor from {@link #acquire}; the last release closes it. */
    public void release(ClusterMonitor monitor) {
        String key = monitor.config().clusterKey();
        ClusterMonitor toClose = null;
        synchronized (monitors) {
            Entry entry = monitors.get(key);
            if (entry != null && entry.monitor == monitor && --entry.users == 0) {
                monitors.remove(key);
                toClose = monitor;
            }
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    /** How many clusters are monitored, for tests. */
    public int size() {
        synchronized (monitors) {
            return monitors.size();
        }
    }

    /**
     * How long a first connection waits for the first probe of every node: a connect and a
     * login, each bounded by {@code probeTimeout} in whole seconds, and the probe itself.
     */
    public static Duration firstRoundTimeout(PghaConfig config) {
        long seconds = Math.max(1, (config.probeTimeout().toMillis() + 999) / 1000);
        return Duration.ofSeconds(2 * seconds).plus(config.probeTimeout());
    }
}
