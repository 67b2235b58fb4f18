package org.pgha.driver.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.OptionalLong;
import org.pgha.driver.PghaSqlState;
import org.pgha.driver.failover.FailoverPath;
import org.pgha.driver.routing.NodeBinding;
import org.pgha.driver.routing.ReadConsistency;
import org.pgha.driver.routing.ReadYourWrites;
import org.pgha.driver.routing.RoutingIntent;
import org.pgha.driver.topology.ClusterMonitor;
import org.pgha.driver.topology.Lsn;
import org.pgha.driver.topology.NodeState;
import org.pgha.driver.topology.Topology;
import org.pgha.driver.PghaProperty;

/**
 * {@link org.pgha.driver.PghaConnection#consistencyToken()} and its counterpart for one logical
 * connection: a primary WAL position at or after the connection's last acknowledged write (and
 * every token it was given), and the timeline it is on.
 */
final class ConsistencyTokens {

    private final ClusterAccess access;
    private final NodeBinding binding;
    private final FailoverPath path;
    private final ReadYourWrites reads;
    private final NodeBinding.OpenCheck open;

    ConsistencyTokens(ClusterAccess access, NodeBinding binding, FailoverPath path, ReadYourWrites reads,
                      NodeBinding.OpenCheck open) {
        this.open = open;
        this.access = access;
        this.binding = binding;
        this.path = path;
        this.reads = reads;
    }

    /** A primary's WAL position and the timeline it is on (0 if unknown). */
    private record Position(long lsn, int timeline) {
    }

    String current() throws SQLException {
        if (reads.lastWriteAck() == Long.MIN_VALUE) {
            return reads.token(-1, 0);
        }
        Position written = primaryPositionAfterLastWrite();
        return reads.token(written.lsn(), written.timeline());
    }

    void require(String token) throws SQLException {
        reads.require(token);
    }

    /**
     * A primary WAL position at or after this connection's last acknowledged write: a sample the
     * monitor sent after it, or the primary's position now. A sample of a primary promoted since
     * covers the write as well: the new primary holds every commit the old one acknowledged (its
     * synchronous standby had them), below its promotion point. So when the primary is lost on
     * the way, this waits for the new one, up to {@code failoverTimeout}, as a statement would.
     */
    private Position primaryPositionAfterLastWrite() throws SQLException {
        ClusterMonitor monitor = access.monitor();
        long deadline = monitor.nanoTime() + access.config().duration(PghaProperty.FAILOVER_TIMEOUT).toNanos();
        Topology topology = monitor.topology();
        while (true) {
            // The history is only ever the OK write target's, on its current timeline.
            OptionalLong sampled = topology.primaryHistory().lsnSentAfter(reads.lastWriteAck());
            if (sampled.isPresent()) {
                return new Position(sampled.getAsLong(), topology.writeTarget().node().timeline());
            }
            SQLException failure;
            try {
                return currentPrimaryPosition(topology);
            } catch (SQLException e) {
                if (!PghaSqlState.NO_PRIMARY.equals(e.getSQLState()) && !access.classifier().nodeLost(e)) {
                    throw e;
                }
                failure = e;
            }
            if (monitor.nanoTime() - deadline >= 0) {
                throw binding.failoverTimeout(RoutingIntent.WRITE, topology, failure, access.config().duration(PghaProperty.FAILOVER_TIMEOUT));
            }
            monitor.requestProbe();
            topology = monitor.awaitChange(topology, deadline);
            open.check();
        }
    }

    private Position currentPrimaryPosition(Topology topology) throws SQLException {
        if (binding.isBound() && binding.forWrites()) {
            // A lost node is handled as for any connection-level call: the physical connection
            // is dropped, and a transaction with work at stake is replayed on the new primary
            // first (the position is then read there). With nothing at stake, none is bound
            // afterwards and the position is read from the primary below.
            Long lsn = path.call(this::queryLsn, false);
            if (lsn != null) {
                return new Position(lsn, binding.node().timeline());
            }
        }
        NodeState primary = access.router().choose(RoutingIntent.WRITE, topology, access.monitor().nanoTime(),
                ReadConsistency.NONE);
        Connection c = access.connections().acquire(primary.host());
        boolean healthy = false;
        try {
            long lsn = queryLsn(c);
            healthy = true;
            return new Position(lsn, primary.timeline());
        } finally {
            if (healthy) {
                access.connections().release(primary.host(), c);
            } else {
                access.connections().discard(primary.host(), c);
            }
        }
    }

    private long queryLsn(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        } catch (SQLException e) {
            throw binding.failed(e);
        }
    }
}
