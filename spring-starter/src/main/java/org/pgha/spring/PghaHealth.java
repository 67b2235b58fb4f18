package org.pgha.spring;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.pgha.driver.ClusterStatus;
import org.pgha.pool.PghaPoolDataSource;

/**
 * The {@code pgha} health check, apart from Spring Boot's health API (which differs between
 * Spring Boot 3 and 4): UP while writes have a primary, DOWN with the reason otherwise, and
 * every node's role, state, timeline and lag as details. It reads what the topology monitor
 * already knows; it sends nothing to the database.
 */
final class PghaHealth {

    /** The outcome: up or down, the details, and for down the reason. */
    record Result(boolean up, Map<String, Object> details) {
    }

    private final PghaPoolDataSource dataSource;

    PghaHealth(PghaPoolDataSource dataSource) {
        this.dataSource = dataSource;
    }

    Result check() {
        ClusterStatus status;
        try {
            status = dataSource.clusterStatus();
        } catch (Exception e) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("reason", "pgha cannot watch the cluster: " + e.getMessage());
            return new Result(false, details);
        }
        return check(status);
    }

    /** The outcome for one status of the cluster. */
    static Result check(ClusterStatus status) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("writes", status.writes().name());
        switch (status.writes()) {
            case PRIMARY -> details.put("primary", status.primary());
            case NO_PRIMARY -> details.put("reason", "no node is an up primary: a failover is under way or the cluster is down");
            case SPLIT_BRAIN -> details.put("reason", "two primaries on the highest timeline: writes are refused until one is gone");
            case HISTORY_DIVERGED -> details.put("reason", "the only primary's history lacks writes a newer primary took"
                    + " (a lower timeline): writes and reads are refused until that primary is back or the history is"
                    + " accepted (acceptDivergedHistory()); see the HISTORY_DIVERGED log line for the WAL range at risk");
        }
        Map<String, Object> nodes = new LinkedHashMap<>();
        for (ClusterStatus.Node node : status.nodes()) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("role", node.role().name().toLowerCase(Locale.ROOT));
            n.put("state", node.refused() ? "refused" : node.up() ? "up" : "down");
            n.put("timeline", node.timeline());
            if (node.lag() != null) {
                n.put("lagMillis", node.lag().toMillis());
            }
            if (node.lagBytes() != null) {
                n.put("lagBytes", node.lagBytes());
            }
            if (node.drained()) {
                n.put("drained", true);
            }
            if (node.lastError() != null && !node.up()) {
                n.put("error", node.lastError());
            }
            nodes.put(node.host(), n);
        }
        details.put("nodes", nodes);
        return new Result(status.writes() == ClusterStatus.Writes.PRIMARY, details);
    }
}
