package org.pgha.pool;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.pool.HikariPool;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.pgha.driver.ClusterEvent;
import org.pgha.driver.ClusterEventListener;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.topology.ClusterMonitor;
import org.pgha.driver.topology.NodeConnections;
import org.pgha.driver.topology.NodeRole;
import org.pgha.driver.topology.NodeState;
import org.pgha.driver.topology.PgjdbcConnections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HikariCP pool per node, made with the DataSource's HikariCP settings the first time a
 * logical connection needs that node, and the physical connections the driver's logical
 * connections borrow.
 *
 * <p>The pools follow the topology monitor: a node that goes DOWN or changes role has its
 * idle connections evicted at once and its busy ones when they come back (HikariCP alone
 * evicts only the connection that threw), and a node's pool is sized for its current role.
 * A borrow waits up to HikariCP's {@code connectionTimeout}, but gives up on a node as soon as
 * the monitor finds it DOWN, so that routing can wait for the new primary instead.
 */
final class NodePools implements NodeConnections, ClusterEventListener {

    private static final Logger log = LoggerFactory.getLogger(NodePools.class);

    /** How long one borrow attempt waits before the node's state is looked at again. */
    static final long SLICE_MILLIS = 250;

    /**
     * The DataSource's settings, held weakly: the monitor's threads reach this object (it
     * listens to the monitor), and must not keep an unclosed DataSource from being collected
     * and cleaned. Its connections keep it reachable while they are open.
     */
    private final java.lang.ref.WeakReference<PghaPoolDataSource> settingsRef;
    private final String poolName;
    private final PghaConfig config;
    private final ClusterMonitor monitor;
    private final Map<HostSpec, Pool> pools = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** A node's pool and its settings, which HikariCP lets change while it runs. */
    private record Pool(HikariPool pool, HikariConfig config) {
    }

    NodePools(PghaPoolDataSource settings, PghaConfig config, ClusterMonitor monitor) {
        this.settingsRef = new java.lang.ref.WeakReference<>(settings);
        this.poolName = settings.poolName();
        this.config = config;
        this.monitor = monitor;
        monitor.addListener(this);
    }

    /** The DataSource, or an exception if it was collected (and is being cleaned). */
    private PghaPoolDataSource settings() {
        PghaPoolDataSource settings = settingsRef.get();
        if (settings == null) {
            throw new IllegalStateException("The PghaPoolDataSource " + poolName + " was garbage-collected without close()");
        }
        return settings;
    }

    private Pool pool(HostSpec host) throws SQLException {
        if (closed || settingsRef.get() == null) {
            throw new SQLException("This PghaPoolDataSource has been closed.", "08003");
        }
        return pools.computeIfAbsent(host, this::create);
    }

    private Pool create(HostSpec host) {
        HikariConfig node = new HikariConfig();
        settings().copyStateTo(node);
        // A DataSource instead of a URL and properties: HikariCP logs its settings at DEBUG, and
        // masks only "password" among the data-source properties, not sslpassword. (HikariCP 6
        // throws on setDriverClassName(null); with a DataSource set, the driver class is unused.)
        node.setJdbcUrl(null);
        node.setDataSourceClassName(null);
        node.getDataSourceProperties().clear();
        node.setUsername(null);
        node.setPassword(null);
        node.setDataSource(PgjdbcConnections.nodeDataSource(config, host));
        node.setPoolName(poolName + " " + host);
        // Made when first needed: an unreachable node must not fail the pool's creation.
        node.setInitializationFailTimeout(-1);
        node.setMetricRegistry(null);
        node.setMetricsTrackerFactory(settings().metricsTrackerFactory(host));
        size(node, role(host));
        log.info("{}: pool for {} created", poolName, host);
        return new Pool(new HikariPool(node), node);
    }

    private NodeRole role(HostSpec host) {
        return monitor.topology().node(host).map(NodeState::role).orElse(NodeRole.UNKNOWN);
    }

    /** The primary's pool has HikariCP's sizes; a replica's has the replica sizes if set. */
    private void size(HikariConfig node, NodeRole role) {
        boolean replica = role != NodeRole.PRIMARY;
        PghaPoolDataSource settings = settingsRef.get();
        if (settings == null) {
            return;
        }
        int max = replica && settings.getReplicaMaximumPoolSize() > 0 ? settings.getReplicaMaximumPoolSize()
                : settings.getMaximumPoolSize();
        int min = replica && settings.getReplicaMinimumIdle() >= 0 ? settings.getReplicaMinimumIdle() : settings.getMinimumIdle();
        node.setMaximumPoolSize(max);
        node.setMinimumIdle(min < 0 ? max : Math.min(min, max));
    }

    @Override
    public Connection acquire(HostSpec host) throws SQLException {
        Pool pool = pool(host);
        long timeout = settings().getConnectionTimeout();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        while (true) {
            long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            try {
                return pool.pool().getConnection(Math.max(1, Math.min(remaining, SLICE_MILLIS)));
            } catch (SQLTransientConnectionException e) {
                if (closed) {
                    throw new SQLException("This PghaPoolDataSource has been closed.", "08003", e);
                }
                if (!usable(host)) {
                    throw new SQLException("The pool of " + host + " has no connection, and the node went down",
                            "08001", e);
                }
                if (remaining <= SLICE_MILLIS) {
                    settings().timedOut(host);
                    throw new SQLTransientConnectionException(pool.config().getPoolName() + " - Connection is not"
                            + " available, request timed out after " + timeout + "ms (total="
                            + pool.pool().getTotalConnections() + ", active=" + pool.pool().getActiveConnections()
                            + ", idle=" + pool.pool().getIdleConnections() + ", waiting="
                            + pool.pool().getThreadsAwaitingConnection() + ")", e.getSQLState(), e.getCause());
                }
            }
        }
    }

    private boolean usable(HostSpec host) {
        Optional<NodeState> node = monitor.topology().node(host);
        return node.isPresent() && node.get().up() && !monitor.isSuspect(node.get());
    }

    @Override
    public void release(HostSpec host, Connection physical) {
        try {
            physical.close();
        } catch (SQLException | RuntimeException e) {
            log.debug("returning a connection of {} failed", host, e);
        }
    }

    @Override
    public void discard(HostSpec host, Connection physical) {
        Pool pool = pools.get(host);
        if (pool != null) {
            pool.pool().evictConnection(physical);
        } else {
            release(host, physical);
        }
    }

    /**
     * HikariCP evicts only the connection that threw, and hands out one used within the last
     * half second without validating it: after a reset of every connection to a node, each retry
     * would draw another dead one. So the node's idle connections go at once, and its busy ones
     * when they come back; the pool refills with connections made from now on.
     */
    @Override
    public void connectionLost(HostSpec host) {
        Pool pool = pools.get(host);
        if (pool != null) {
            pool.pool().softEvictConnections();
            log.debug("{}: a connection to {} was lost: its pool's connections evicted", poolName, host);
        }
    }

    /** HikariCP's {@code connectionTimeout}: a fresh borrow waits for a usable node no longer. */
    @Override
    public java.time.Duration borrowTimeout() {
        return java.time.Duration.ofMillis(settings().getConnectionTimeout());
    }

    @Override
    public boolean reusesConnections() {
        return true;
    }

    /**
     * Called on the monitor's thread: nothing here blocks.
     *
     * <p>A node that goes DOWN keeps its pool, emptied and with no idle connections to keep:
     * otherwise HikariCP would go on connecting to the dead node, waiting up to 5 s between
     * attempts, and when the node came back the first borrowers would wait out that pause. A
     * node that comes back UP gets its role's sizes again.
     */
    @Override
    public void onEvent(ClusterEvent event) {
        ClusterEvent.Type type = event.type();
        if (type == ClusterEvent.Type.PRIMARY_CHANGED) {
            evictOldPrimaries(event.node());
            return;
        }
        if (type == ClusterEvent.Type.MEMBER_REMOVED) {
            retire(event.node());
            return;
        }
        if (type != ClusterEvent.Type.NODE_DOWN && type != ClusterEvent.Type.ROLE_CHANGED && type != ClusterEvent.Type.NODE_UP) {
            return;
        }
        pools.forEach((host, pool) -> {
            if (!host.toString().equals(event.node())) {
                return;
            }
            if (type == ClusterEvent.Type.NODE_UP) {
                size(pool.config(), role(host));
                return;
            }
            pool.pool().softEvictConnections();
            if (type == ClusterEvent.Type.NODE_DOWN) {
                pool.config().setMinimumIdle(0);
            } else {
                size(pool.config(), role(host));
            }
            log.info("{}: {} {}: its pool's connections evicted", poolName, host,
                    type == ClusterEvent.Type.NODE_DOWN ? "went down" : "changed role");
        });
    }

    /**
     * Writes moved to {@code newPrimary} while an old primary may still run (a partition, a
     * failover manager that promoted without stopping it): the idle connections of every other
     * node that still reports itself primary are evicted and not replaced, so none is handed out
     * there again (its busy ones the monitor aborted already); the new primary's pool gets the
     * primary's sizes.
     */
    private void evictOldPrimaries(String newPrimary) {
        pools.forEach((host, pool) -> {
            if (host.toString().equals(newPrimary)) {
                size(pool.config(), NodeRole.PRIMARY);
            } else if (role(host) == NodeRole.PRIMARY) {
                // It keeps no idle connections, as a DOWN node: nothing is routed there.
                pool.config().setMinimumIdle(0);
                pool.pool().softEvictConnections();
                log.info("{}: {} no longer takes writes ({} does): its pool's connections evicted", poolName,
                        host, newPrimary);
            }
        });
    }

    /** Each node's pool, in host order, for tests and toString. */
    Map<HostSpec, HikariPool> pools() {
        Map<HostSpec, HikariPool> view = new java.util.TreeMap<>();
        pools.forEach((host, pool) -> view.put(host, pool.pool()));
        return view;
    }

    /** Each node's pool settings, for tests. */
    Map<HostSpec, HikariConfig> configs() {
        Map<HostSpec, HikariConfig> view = new java.util.TreeMap<>();
        pools.forEach((host, pool) -> view.put(host, pool.config()));
        return view;
    }

    /**
     * A member left the cluster: its pool goes, shut down on a thread of its own (HikariCP waits
     * for busy connections, which the monitor aborted already), so no event waits on it.
     */
    private void retire(String node) {
        pools.forEach((host, pool) -> {
            if (host.toString().equals(node) && pools.remove(host, pool)) {
                log.info("{}: {} left the cluster: its pool is shut down", poolName, host);
                Thread t = new Thread(() -> {
                    try {
                        pool.pool().shutdown();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (RuntimeException e) {
                        log.warn("{}: shutting down the pool of {} failed", poolName, host, e);
                    }
                }, "pgha-retire-" + host);
                t.setDaemon(true);
                t.start();
            }
        });
    }

    /** Shuts every pool down: idle connections closed, busy ones when they come back or after HikariCP's wait. */
    void close() {
        closed = true;
        monitor.removeListener(this);
        // Every pool, even after an interrupt: a pool left running keeps its connections open.
        boolean interrupted = false;
        for (Pool pool : pools.values()) {
            try {
                pool.pool().shutdown();
            } catch (InterruptedException e) {
                interrupted = true;
                // HikariCP gave up waiting for its busy connections; the next pool still gets its turn.
            } catch (RuntimeException e) {
                log.warn("{}: shutting down a node's pool failed", poolName, e);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
