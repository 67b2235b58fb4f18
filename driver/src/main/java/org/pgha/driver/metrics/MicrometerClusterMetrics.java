package org.pgha.driver.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.pgha.driver.ClusterEvent;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.topology.ClusterMonitor;
import org.pgha.driver.topology.NodeRole;
import org.pgha.driver.topology.NodeState;

/**
 * pgha's meters in a Micrometer registry. Loaded only when an application hands pgha a
 * registry, so Micrometer stays an optional dependency. Gauges read the monitor's latest
 * snapshot when the registry samples them; the counters are Micrometer's lock-free ones.
 *
 * <ul>
 *   <li>{@code pgha.node.role} per node: 1 primary, 0 replica, -1 down or unknown;</li>
 *   <li>{@code pgha.node.lag.seconds} per node: the conservative lag a replica is routed by
 *       (0 for the primary, NaN when unknown);</li>
 *   <li>{@code pgha.node.lag.bytes} per node: how far a replica's replay is behind the
 *       primary's latest sample (0 for the primary, NaN when unknown);</li>
 *   <li>{@code pgha.node.readable} per node: 1 while it serves reads under the bound (an
 *       eligible replica for a session that has not written), else 0;</li>
 *   <li>{@code pgha.statements.routed} by {@code node} and {@code role} ({@code primary}, {@code replica});</li>
 *   <li>{@code pgha.retries}, {@code pgha.failover.duration} (a timer), {@code pgha.failovers.failed},
 *       {@code pgha.history.diverged}, {@code pgha.commit.resolutions} and
 *       {@code pgha.transaction.replays} by {@code result}.</li>
 * </ul>
 * Every meter carries the tag {@code cluster}: the database and hosts, as in the log lines.
 * Every counter is registered at 0 when the meters are, each {@code result} included: a
 * Prometheus {@code increase()} does not count the first increment of a series that appears
 * with it, so an alert on a counter made at its first event would miss that event.
 */
public final class MicrometerClusterMetrics implements ClusterMetrics {

    /** Per node: statements run while it was primary [0] and replica [1]. Made once, read on every statement. */
    private final Map<HostSpec, Counter[]> routed = new HashMap<>();
    private final Counter retries;
    private final Map<String, Counter> commitResolutions = new HashMap<>();
    private final Map<String, Counter> replays = new HashMap<>();
    private final MeterRegistry registry;
    private final Tags cluster;

    /** The {@code result}s of {@code pgha.commit.resolutions}. */
    static final List<String> COMMIT_RESULTS = List.of("committed", "rolled_back", "unknown");

    /** The {@code result}s of {@code pgha.transaction.replays}. */
    static final List<String> REPLAY_RESULTS = List.of("replayed", "mismatch", "not_replayable", "failed");

    private MicrometerClusterMetrics(MeterRegistry registry, ClusterMonitor monitor, Predicate<HostSpec> readable) {
        this.registry = registry;
        this.cluster = Tags.of("cluster", monitor.config().clusterKey());
        for (HostSpec host : monitor.config().hosts()) {
            Tags tags = cluster.and("node", host.toString());
            Gauge.builder("pgha.node.role", monitor, m -> role(m, host)).tags(tags)
                    .description("1 primary, 0 replica, -1 down or unknown").register(registry);
            Gauge.builder("pgha.node.lag.seconds", monitor, m -> lagSeconds(m, host)).tags(tags).baseUnit("seconds")
                    .description("Conservative replication lag that routing uses").register(registry);
            Gauge.builder("pgha.node.lag.bytes", monitor, m -> lagBytes(m, host)).tags(tags).baseUnit("bytes")
                    .description("Replay position behind the primary's latest sample").register(registry);
            // The monitor as the gauge's state: Micrometer holds a gauge's state object weakly, and
            // nothing else would hold a predicate made for it.
            Gauge.builder("pgha.node.readable", monitor, m -> readable.test(host) ? 1.0 : 0.0)
                    .tags(tags).description("1 while the node serves reads within maxReplicaLag, else 0").register(registry);
        }
        for (HostSpec host : monitor.config().hosts()) {
            Tags tags = cluster.and("node", host.toString());
            routed.put(host, new Counter[] {
                Counter.builder("pgha.statements.routed").tags(tags.and("role", "primary"))
                        .description("Statements run, by node and the role of the node that ran them").register(registry),
                Counter.builder("pgha.statements.routed").tags(tags.and("role", "replica"))
                        .description("Statements run, by node and the role of the node that ran them").register(registry)});
        }
        retries = Counter.builder("pgha.retries").tags(cluster)
                .description("Statements run again after their node was lost").register(registry);
        Timer failovers = Timer.builder("pgha.failover.duration").tags(cluster)
                .description("Time without a usable primary, per completed failover").register(registry);
        Counter failed = Counter.builder("pgha.failovers.failed").tags(cluster)
                .description("Failovers with no primary within failoverTimeout").register(registry);
        Counter diverged = Counter.builder("pgha.history.diverged").tags(cluster)
                .description("Times the only primary's history lacked writes a newer primary took (HISTORY_DIVERGED)")
                .register(registry);
        for (String result : COMMIT_RESULTS) {
            commitResolutions.put(result, commitResolutions(result));
        }
        for (String result : REPLAY_RESULTS) {
            replays.put(result, replays(result));
        }
        monitor.addListener(event -> {
            if (event.type() == ClusterEvent.Type.HISTORY_DIVERGED) {
                diverged.increment();
            }
            if (event.type() == ClusterEvent.Type.FAILOVER_COMPLETED && event.duration() != null) {
                failovers.record(event.duration());
            } else if (event.type() == ClusterEvent.Type.FAILOVER_FAILED) {
                failed.increment();
            }
        });
    }

    @Override
    public void retried() {
        retries.increment();
    }

    @Override
    public void commitResolved(String result) {
        Counter counter = commitResolutions.get(result);
        (counter == null ? commitResolutions(result) : counter).increment();
    }

    @Override
    public void replayed(String result) {
        Counter counter = replays.get(result);
        (counter == null ? replays(result) : counter).increment();
    }

    // Through the builder, not registry.counter(String, Tags): that overload is new in Micrometer 1.16,
    // and Spring Boot 3 applications run 1.15.
    private Counter commitResolutions(String result) {
        return Counter.builder("pgha.commit.resolutions").tags(cluster.and("result", result))
                .description("Commits whose outcome was looked up after their node was lost, by outcome")
                .register(registry);
    }

    private Counter replays(String result) {
        return Counter.builder("pgha.transaction.replays").tags(cluster.and("result", result))
                .description("Transactions replayed after their node was lost, by result")
                .register(registry);
    }

    /**
     * Registers the meters of a monitor's cluster.
     *
     * @param registry a {@code io.micrometer.core.instrument.MeterRegistry}
     * @param readable whether a node serves reads within the bound now, by the routing rules
     *     ({@code pgha.node.readable})
     * @throws IllegalArgumentException if it is not one
     */
    public static ClusterMetrics register(Object registry, ClusterMonitor monitor, Predicate<HostSpec> readable) {
        if (!(registry instanceof MeterRegistry)) {
            throw new IllegalArgumentException("the metric registry must be an io.micrometer.core.instrument.MeterRegistry, not "
                    + (registry == null ? "null" : registry.getClass().getName()));
        }
        return new MicrometerClusterMetrics((MeterRegistry) registry, monitor, readable);
    }

    @Override
    public void routed(HostSpec node, NodeRole role) {
        Counter[] counters = routed.get(node);
        if (counters != null) { // always: statements run only on the URL's hosts
            counters[role == NodeRole.PRIMARY ? 0 : 1].increment();
        }
    }

    private static Optional<NodeState> up(ClusterMonitor monitor, HostSpec host) {
        return monitor.topology().node(host).filter(n -> n.up() && !n.refused());
    }

    private static double role(ClusterMonitor monitor, HostSpec host) {
        return up(monitor, host).map(n -> n.role() == NodeRole.PRIMARY ? 1.0 : n.role() == NodeRole.REPLICA ? 0.0 : -1.0)
                .orElse(-1.0);
    }

    private static double lagSeconds(ClusterMonitor monitor, HostSpec host) {
        Optional<NodeState> node = up(monitor, host);
        if (node.isEmpty()) {
            return Double.NaN;
        }
        long lag = monitor.topology().lagNanos(node.get(), monitor.nanoTime());
        return lag == Long.MAX_VALUE ? Double.NaN : lag / 1e9;
    }

    private static double lagBytes(ClusterMonitor monitor, HostSpec host) {
        Optional<NodeState> node = up(monitor, host);
        if (node.isEmpty()) {
            return Double.NaN;
        }
        long lag = monitor.topology().lagBytes(node.get());
        return lag < 0 ? Double.NaN : lag;
    }
}
