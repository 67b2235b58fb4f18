package org.pgha.driver.topology;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.pgha.driver.config.HostSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The physical connections the application holds, by node, so that the monitor can abort
 * them when their node goes DOWN or stops taking writes: a thread blocked on a hung node's
 * socket then fails at once instead of after TCP's timeouts. Thread-safe without locks.
 */
final class ConnectionTracker {

    private static final Logger log = LoggerFactory.getLogger(ConnectionTracker.class);

    private final String cluster;
    private final Map<HostSpec, Set<Connection>> byNode = new ConcurrentHashMap<>();

    ConnectionTracker(String cluster) {
        this.cluster = cluster;
    }

    void track(HostSpec host, Connection physical) {
        byNode.computeIfAbsent(host, h -> ConcurrentHashMap.newKeySet()).add(physical);
    }

    /** False once the connection was aborted (or never tracked). */
    boolean isTracked(HostSpec host, Connection physical) {
        Set<Connection> set = byNode.get(host);
        return set != null && set.contains(physical);
    }

    void untrack(HostSpec host, Connection physical) {
        Set<Connection> set = byNode.get(host);
        if (set != null) {
            set.remove(physical);
        }
    }

    /** Aborts, and forgets, every connection tracked on {@code host}; {@code why} is for the log. */
    void abort(HostSpec host, String why) {
        Set<Connection> set = byNode.get(host);
        if (set == null || set.isEmpty()) {
            return;
        }
        int aborted = 0;
        for (Connection c : set.toArray(new Connection[0])) {
            set.remove(c);
            try {
                c.abort(Runnable::run);
                aborted++;
            } catch (SQLException | RuntimeException e) {
                log.debug("pgha cluster {}: could not abort a connection to {}", cluster, host, e);
            }
        }
        log.info("pgha cluster {}: {} {}: aborted {} connections to it", cluster, host, why, aborted);
    }
}
