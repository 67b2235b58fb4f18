package org.pgha.driver.topology;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pgha.driver.ClusterEvent;
import org.pgha.driver.config.HostSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of the URL's nodes are this cluster's servers, each once: a node of another cluster
 * (another {@code system_identifier}) and a second name for a server already listed are
 * refused. Not thread-safe: the monitor calls it under its publishing lock.
 */
final class ServerIdentities {

    private static final Logger log = LoggerFactory.getLogger(ServerIdentities.class);

    private final String cluster;
    /** The URL's hosts, then the members a topology source added, in that order. */
    private final List<HostSpec> hosts;
    /** The URL's hosts: only they vote on the cluster's system identifier. */
    private final Set<HostSpec> seeds;
    private final Clock wallClock;
    private final Map<HostSpec, Long> systemIdentifiers = new LinkedHashMap<>();
    /**
     * Each node's server identity: its system identifier and its postmaster's start time, which
     * no two servers share. Two names with one identity are one server.
     */
    private final Map<HostSpec, String> serverIdentities = new HashMap<>();

    ServerIdentities(String cluster, List<HostSpec> hosts, Clock wallClock) {
        this.cluster = cluster;
        this.hosts = new ArrayList<>(hosts);
        this.seeds = Set.copyOf(hosts);
        this.wallClock = wallClock;
    }

    /**
     * Records what {@code reporting} told of itself and renews the verdict for every node. The
     * cluster's {@code system_identifier} is the one most nodes report (on a tie, the one seen
     * first); every node reporting another is refused, so a stranger probed early never passes
     * for a member.
     */
    void refuseStrangers(Topology before, Topology.Builder builder, NodeState reporting, ProbeResult result,
            List<ClusterEvent> events) {
        long identifier = result.systemIdentifier();
        serverIdentities.put(reporting.host(), Long.toUnsignedString(identifier) + "/" + result.startedMicros());
        systemIdentifiers.put(reporting.host(), identifier);
        // Only the URL's hosts vote: a member a topology source names never decides what this
        // cluster is (Patroni's view never overrides what the servers say of themselves).
        Map<Long, Integer> counts = new HashMap<>();
        for (Map.Entry<HostSpec, Long> e : systemIdentifiers.entrySet()) {
            if (seeds.contains(e.getKey())) {
                counts.merge(e.getValue(), 1, Integer::sum);
            }
        }
        Long majority = null;
        int best = -1;
        // systemIdentifiers keeps insertion order, so the first identifier seen wins a tie.
        for (Map.Entry<HostSpec, Long> e : systemIdentifiers.entrySet()) {
            Integer count = counts.get(e.getValue());
            if (count != null && count > best) {
                best = count;
                majority = e.getValue();
            }
        }
        for (NodeState node : before.nodes()) {
            Long id = systemIdentifiers.get(node.host());
            if (id == null) {
                continue;
            }
            HostSpec alias = sameServerListedBefore(node.host());
            boolean refused = majority == null || id.longValue() != majority || alias != null;
            if (refused && !node.refused()) {
                String detail = alias != null
                        ? "the same server as " + alias + " (the same system identifier and start time): the URL names it"
                                + " twice, and only " + alias + " is used"
                        : majority == null
                        ? "no node of the URL has answered yet, and a member found by the topology source is used only"
                                + " once its system_identifier matches theirs"
                        : "system_identifier " + Long.toUnsignedString(id) + " is not this cluster's "
                                + Long.toUnsignedString(majority) + ": the node belongs to another cluster and is never used";
                log.warn("pgha cluster {}: node {} refused: {}", cluster, node.host(), detail);
                events.add(new ClusterEvent(ClusterEvent.Type.NODE_REFUSED, node.host().toString(), detail,
                        wallClock.instant()));
            }
            NodeState state = node.host().equals(reporting.host()) ? reporting : node;
            builder.node(state.withRefused(refused));
        }
    }

    /** A member a topology source found, after every host known so far. */
    void add(HostSpec host) {
        if (!hosts.contains(host)) {
            hosts.add(host);
        }
    }

    /** A member that left: forgotten (a URL host never is). */
    void remove(HostSpec host) {
        if (!seeds.contains(host)) {
            hosts.remove(host);
            systemIdentifiers.remove(host);
            serverIdentities.remove(host);
        }
    }

    /** The node listed before {@code host} in the URL that is the same server, or null. */
    private HostSpec sameServerListedBefore(HostSpec host) {
        String identity = serverIdentities.get(host);
        if (identity == null) {
            return null;
        }
        for (HostSpec other : hosts) {
            if (other.equals(host)) {
                return null;
            }
            if (identity.equals(serverIdentities.get(other))) {
                return other;
            }
        }
        return null;
    }
}
