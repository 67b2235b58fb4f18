package org.pgha.driver.jdbc;

import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.pgha.driver.ClusterEventListener;
import org.pgha.driver.PghaExceptionOverride;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.failover.FailureClassifier;
import org.pgha.driver.metrics.ClusterMetrics;
import org.pgha.driver.metrics.MicrometerClusterMetrics;
import org.pgha.driver.routing.Router;
import org.pgha.driver.topology.ClusterMonitor;
import org.pgha.driver.topology.NodeConnections;
import org.pgha.driver.topology.PgjdbcConnections;
import org.pgha.driver.PghaProperty;
import org.pgha.driver.ReadFallback;
import org.pgha.driver.ReadYourWritesScope;
import org.pgha.driver.routing.WriteMarks;
import org.pgha.driver.LoadBalance;

/**
 * What every logical connection of one DataSource shares: the topology monitor, the router
 * and the source of physical connections. Immutable.
 */
public final class ClusterAccess {

    /**
     * Random numbers for every routing thread: {@code RandomGenerator.getDefault()} is not safe
     * for concurrent use, {@link java.util.concurrent.ThreadLocalRandom} is, one per thread.
     */
    static final java.util.random.RandomGenerator THREAD_LOCAL_RANDOM =
            () -> java.util.concurrent.ThreadLocalRandom.current().nextLong();

    private final ClusterMonitor monitor;
    private final Router router;
    private final NodeConnections connections;

    private final PghaConfig config;
    private final ClusterMetrics metrics;
    private final FailureClassifier classifier;
    private final WriteMarks writeMarks;

    /**
     * @param config the routing settings of this DataSource or URL; the monitor may be shared
     *     with other URLs naming the same cluster and runs with its own probe settings
     */
    public ClusterAccess(ClusterMonitor monitor, NodeConnections connections, PghaConfig config) {
        this(monitor, connections, config, ClusterMetrics.NONE);
    }

    public ClusterAccess(ClusterMonitor monitor, NodeConnections connections, PghaConfig config, ClusterMetrics metrics) {
        this(monitor, connections, config, metrics, FailureClassifier.DEFAULT);
    }

    public ClusterAccess(ClusterMonitor monitor, NodeConnections connections, PghaConfig config, ClusterMetrics metrics,
            FailureClassifier classifier) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        this.monitor = Objects.requireNonNull(monitor, "monitor");
        this.connections = Objects.requireNonNull(connections, "connections");
        this.config = Objects.requireNonNull(config, "config");
        this.writeMarks = WriteMarks.of(config.choice(PghaProperty.READ_YOUR_WRITES_SCOPE, ReadYourWritesScope.class));
        this.router = router(config);
    }

    /** The routing rules of a configuration: {@code loadBalance}, {@code readFallback} and the lag bounds. */
    public static Router router(PghaConfig config) {
        return new Router(config.choice(PghaProperty.LOAD_BALANCE, LoadBalance.class),
                config.choice(PghaProperty.READ_FALLBACK, ReadFallback.class), config.duration(PghaProperty.MAX_REPLICA_LAG),
                config.whole(PghaProperty.MAX_REPLICA_LAG_BYTES), THREAD_LOCAL_RANDOM);
    }

    /**
     * Starts what a DataSource shares: a topology monitor of its own (meters registered first,
     * so that a wrong registry fails before any thread starts), waits for its first probe
     * round, and returns the access with the physical connections {@code connections} makes.
     *
     * @param metricRegistry a Micrometer {@code MeterRegistry}, or null
     * @param override the application's verdict override, or null
     */
    public static ClusterAccess open(PghaConfig config, Function<ClusterMonitor, NodeConnections> connections,
            Object metricRegistry, List<ClusterEventListener> listeners, PghaExceptionOverride override) {
        ClusterMonitor monitor = new ClusterMonitor(config, PgjdbcConnections.probes(config), System::nanoTime,
                Clock.systemUTC());
        Router router = router(config);
        ClusterMetrics metrics = metricRegistry == null ? ClusterMetrics.NONE
                : MicrometerClusterMetrics.register(metricRegistry, monitor, host -> router.stillQualifies(
                        org.pgha.driver.routing.RoutingIntent.READ, host, monitor.topology(), monitor.nanoTime(),
                        org.pgha.driver.routing.ReadConsistency.NONE));
        listeners.forEach(monitor::addListener);
        NodeConnections nodes = connections.apply(monitor);
        monitor.start();
        org.pgha.driver.patroni.PatroniSource.attachTo(monitor);
        monitor.awaitFirstRound();
        return new ClusterAccess(monitor, router, nodes, config, metrics,
                override == null ? FailureClassifier.DEFAULT : new FailureClassifier(override),
                WriteMarks.of(config.choice(PghaProperty.READ_YOUR_WRITES_SCOPE, ReadYourWritesScope.class)));
    }

    /** The same cluster, router and meters, with physical connections from elsewhere (another user). */
    public ClusterAccess withConnections(NodeConnections other) {
        return new ClusterAccess(monitor, router, other, config, metrics, classifier, writeMarks);
    }

    private ClusterAccess(ClusterMonitor monitor, Router router, NodeConnections connections, PghaConfig config,
            ClusterMetrics metrics, FailureClassifier classifier, WriteMarks writeMarks) {
        this.writeMarks = writeMarks;
        this.classifier = classifier;
        this.monitor = monitor;
        this.router = router;
        this.connections = connections;
        this.config = config;
        this.metrics = metrics;
    }

    public ClusterMonitor monitor() {
        return monitor;
    }

    public Router router() {
        return router;
    }

    public NodeConnections connections() {
        return connections;
    }

    public FailureClassifier classifier() {
        return classifier;
    }

    public ClusterMetrics metrics() {
        return metrics;
    }

    /** When the last writes of the thread and of the DataSource were acknowledged ({@code readYourWritesScope}). */
    public WriteMarks writeMarks() {
        return writeMarks;
    }

    public PghaConfig config() {
        return config;
    }
}
