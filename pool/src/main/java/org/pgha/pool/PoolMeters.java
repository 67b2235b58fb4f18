package org.pgha.pool;

import com.zaxxer.hikari.metrics.IMetricsTracker;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.metrics.PoolStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.pgha.driver.ClusterEvent;
import org.pgha.driver.ClusterEventListener;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.topology.ClusterMonitor;
import org.pgha.driver.topology.NodeRole;
import org.pgha.driver.topology.NodeState;

/**
 * HikariCP's meters for each node's pool, under HikariCP's own names
 * ({@code hikaricp.connections.active}, ...), tagged {@code pool}, {@code node} and
 * {@code role}; when a node changes role its meters are registered again with the new role.
 * Only loaded when a Micrometer registry was given.
 */
final class PoolMeters {

    private final MeterRegistry registry;
    private final Map<HostSpec, NodeMeters> nodes = new ConcurrentHashMap<>();

    private PoolMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** @throws IllegalArgumentException if {@code registry} is not a Micrometer {@code MeterRegistry} */
    static PoolMeters of(Object registry) {
        if (!(registry instanceof MeterRegistry meterRegistry)) {
            throw new IllegalArgumentException("pgha's pool meters need a Micrometer MeterRegistry, not "
                    + registry.getClass().getName());
        }
        return new PoolMeters(meterRegistry);
    }

    MetricsTrackerFactory factory(HostSpec host, ClusterMonitor monitor) {
        return (poolName, stats) -> nodes.computeIfAbsent(host, h -> new NodeMeters(poolName, h, stats, monitor));
    }

    void timedOut(HostSpec host) {
        NodeMeters meters = nodes.get(host);
        if (meters != null) {
            meters.timeout.increment();
        }
    }

    /** One node's pool: HikariCP reports to it. */
    private final class NodeMeters implements IMetricsTracker, ClusterEventListener {
        private final String pool;
        private final HostSpec host;
        private final PoolStats stats;
        private final ClusterMonitor monitor;
        private final List<Meter> meters = new ArrayList<>();
        private volatile Timer acquire;
        private volatile Timer usage;
        private volatile Timer creation;
        private volatile Counter timeout;
        private NodeRole role;

        NodeMeters(String pool, HostSpec host, PoolStats stats, ClusterMonitor monitor) {
            this.pool = pool;
            this.host = host;
            this.stats = stats;
            this.monitor = monitor;
            register(currentRole());
            if (monitor != null) {
                monitor.addListener(this);
            }
        }

        private NodeRole currentRole() {
            return monitor == null ? NodeRole.UNKNOWN : monitor.topology().node(host).map(NodeState::role).orElse(NodeRole.UNKNOWN);
        }

        private synchronized void register(NodeRole newRole) {
            meters.forEach(registry::remove);
            meters.clear();
            role = newRole;
            Tags tags = Tags.of("pool", pool, "node", host.toString(), "role", newRole.name().toLowerCase(java.util.Locale.ROOT));
            gauge("hikaricp.connections", "Total connections", tags, PoolStats::getTotalConnections);
            gauge("hikaricp.connections.idle", "Idle connections", tags, PoolStats::getIdleConnections);
            gauge("hikaricp.connections.active", "Active connections", tags, PoolStats::getActiveConnections);
            gauge("hikaricp.connections.pending", "Threads waiting for a connection", tags, PoolStats::getPendingThreads);
            gauge("hikaricp.connections.max", "Most connections", tags, PoolStats::getMaxConnections);
            gauge("hikaricp.connections.min", "Fewest idle connections", tags, PoolStats::getMinConnections);
            acquire = add(Timer.builder("hikaricp.connections.acquire").description("Connection acquire time").tags(tags).register(registry));
            usage = add(Timer.builder("hikaricp.connections.usage").description("Connection usage time").tags(tags).register(registry));
            creation = add(Timer.builder("hikaricp.connections.creation").description("Connection creation time").tags(tags).register(registry));
            timeout = add(Counter.builder("hikaricp.connections.timeout").description("Connection borrows that timed out").tags(tags).register(registry));
        }

        private void gauge(String name, String description, Tags tags, ToDoubleFunction<PoolStats> value) {
            add(Gauge.builder(name, stats, value).description(description).tags(tags).register(registry));
        }

        private <M extends Meter> M add(M meter) {
            meters.add(meter);
            return meter;
        }

        @Override
        public void onEvent(ClusterEvent event) {
            if (event.type() == ClusterEvent.Type.ROLE_CHANGED && host.toString().equals(event.node())) {
                NodeRole now = currentRole();
                if (now != role) {
                    register(now);
                }
            }
        }

        @Override
        public void recordConnectionAcquiredNanos(long nanos) {
            acquire.record(nanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void recordConnectionUsageMillis(long millis) {
            usage.record(millis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void recordConnectionCreatedMillis(long millis) {
            creation.record(millis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void recordConnectionTimeout() {
            // A borrow waits in slices (see NodePools); only the borrow that gives up counts.
        }

        @Override
        public synchronized void close() {
            if (monitor != null) {
                monitor.removeListener(this);
            }
            meters.forEach(registry::remove);
            meters.clear();
            nodes.remove(host, this);
        }
    }
}
