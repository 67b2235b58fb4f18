package org.pgha.driver.jdbc;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.topology.ClusterMonitor;
import org.pgha.driver.topology.PgjdbcConnections;

/**
 * Shares one {@link ClusterMonitor} and one router between the {@code DriverManager}
 * connections with the same settings for the same cluster (the same hosts in any order,
 * database, user and pgha properties), and closes the monitor with the last of them, so that
 * round robin spreads connections and a first probe round is paid once. Owned by the driver
 * instance; a DataSource owns its monitor instead.
 */
public final class MonitorRegistry {

    private final Map<String, Entry> monitors = new HashMap<>();

    private static final class Entry {
        final String key;
        final ClusterAccess access;
        int users;

        Entry(String key, ClusterAccess access) {
            this.key = key;
            this.access = access;
        }
    }

    /** A lease on a shared {@link ClusterAccess}; {@link #close()} gives it back. */
    public final class Lease implements Runnable {
        private final Entry entry;
        private boolean released;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        public ClusterAccess access() {
            return entry.access;
        }

        /** Gives the lease back; the last one closes the monitor. Idempotent. */
        @Override
        public void run() {
            ClusterMonitor toClose = null;
            synchronized (monitors) {
                if (released) {
                    return;
                }
                released = true;
                if (--entry.users == 0 && monitors.get(entry.key) == entry) {
                    monitors.remove(entry.key);
                    toClose = entry.access.monitor();
                }
            }
            if (toClose != null) {
                toClose.close();
            }
        }
    }

    /** The shared access for the configuration, its monitor started and probed once. */
    public Lease acquire(PghaConfig config) {
        String key = key(config);
        Entry entry;
        boolean created = false;
        synchronized (monitors) {
            entry = monitors.get(key);
            if (entry == null) {
                ClusterMonitor monitor = new ClusterMonitor(config, PgjdbcConnections.probes(config), System::nanoTime,
                        Clock.systemUTC());
                entry = new Entry(key, new ClusterAccess(monitor, new PgjdbcConnections(config), config));
                monitors.put(key, entry);
                created = true;
            }
            entry.users++;
        }
        if (created) {
            entry.access.monitor().start();
            org.pgha.driver.patroni.PatroniSource.attachTo(entry.access.monitor());
        }
        entry.access.monitor().awaitFirstRound();
        return new Lease(entry);
    }

    /** The cluster and every pgha setting: connections share only what they agree on. */
    private static String key(PghaConfig config) {
        return config.clusterKey() + "|" + config.settingsKey() + "|" + config.connectionKey();
    }

    /** How many clusters are monitored, for tests. */
    public int size() {
        synchronized (monitors) {
            return monitors.size();
        }
    }
}
