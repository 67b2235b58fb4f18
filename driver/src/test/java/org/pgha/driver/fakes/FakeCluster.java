package org.pgha.driver.fakes;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.topology.ClusterView;
import org.pgha.driver.topology.NodeRole;
import org.pgha.driver.topology.NodeState;
import org.pgha.driver.topology.PrimaryHistory;
import org.pgha.driver.topology.Topology;

/**
 * A cluster as a topology monitor would show it, set by the test: the snapshot, the nodes'
 * last failures and what a logical connection told the monitor (probe requests, suspects,
 * tracked connections). A wait for a change returns the next snapshot queued with
 * {@link #thenTopology}, or waits out its deadline when none is queued.
 */
public final class FakeCluster implements ClusterView {

    private volatile Topology topology;
    private final List<Topology> next = new ArrayList<>();
    private final Map<HostSpec, SQLException> failures = new HashMap<>();
    private final Set<HostSpec> suspects = new HashSet<>();
    private final Map<HostSpec, Set<Connection>> tracked = new HashMap<>();
    public int probeRequests;
    public final List<HostSpec> suspected = new ArrayList<>();
    /** Called after a connection is tracked, before the binding reads the write target again. */
    public Consumer<HostSpec> onTrack = host -> { };

    public FakeCluster(Topology topology) {
        this.topology = topology;
    }

    /** A snapshot of these nodes, in this seed order, taken now. */
    public static Topology of(NodeState... nodes) {
        List<HostSpec> seeds = new ArrayList<>();
        for (NodeState n : nodes) {
            seeds.add(n.host());
        }
        Topology.Builder builder = Topology.builder(seeds);
        long now = System.nanoTime();
        for (NodeState n : nodes) {
            builder.node(n);
            if (n.up() && n.role() == NodeRole.PRIMARY) {
                builder.primaryHistory(n.host(), n.timeline(), PrimaryHistory.empty().with(now, n.lsn()));
            }
        }
        return builder.takenAtNanos(now).build();
    }

    public static NodeState primary(HostSpec host) {
        return NodeState.probed(host, NodeRole.PRIMARY, 1000, 1, System.nanoTime());
    }

    public static NodeState replica(HostSpec host) {
        return NodeState.probed(host, NodeRole.REPLICA, 1000, 1, System.nanoTime());
    }

    public static NodeState down(HostSpec host) {
        return NodeState.unknown(host);
    }

    /** Replaces the snapshot now. */
    public void topology(Topology t) {
        topology = t;
    }

    /** The snapshot the next wait for a change sees. */
    public FakeCluster thenTopology(Topology t) {
        next.add(t);
        return this;
    }

    /** The node's last probe failed with {@code failure}. */
    public FakeCluster failure(HostSpec host, SQLException failure) {
        failures.put(host, failure);
        return this;
    }

    /** The node is no longer suspect, as after a probe found it well. */
    public void vouch(HostSpec host) {
        suspects.remove(host);
    }

    /** Aborts the tracked connections of {@code host}, as the monitor does when the node goes down. */
    public void abortConnections(HostSpec host) {
        tracked.remove(host);
    }

    @Override
    public Topology topology() {
        return topology;
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Topology awaitChange(Topology seen, long deadlineNanos) {
        if (topology != seen) {
            return topology;
        }
        if (!next.isEmpty()) {
            topology = next.remove(0);
            suspects.clear();
            return topology;
        }
        long wait = deadlineNanos - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return topology;
    }

    @Override
    public void requestProbe() {
        probeRequests++;
    }

    @Override
    public void suspect(HostSpec host) {
        suspects.add(host);
        suspected.add(host);
    }

    @Override
    public boolean isSuspect(NodeState node) {
        return suspects.contains(node.host());
    }

    @Override
    public SQLException lastFailure(HostSpec host) {
        return failures.get(host);
    }

    @Override
    public void track(HostSpec host, Connection physical) {
        tracked.computeIfAbsent(host, h -> Collections.newSetFromMap(new IdentityHashMap<>())).add(physical);
        onTrack.accept(host);
    }

    @Override
    public boolean isTracked(HostSpec host, Connection physical) {
        Set<Connection> set = tracked.get(host);
        return set != null && set.contains(physical);
    }

    @Override
    public void untrack(HostSpec host, Connection physical) {
        Set<Connection> set = tracked.get(host);
        if (set != null) {
            set.remove(physical);
        }
    }
}
