package org.pgha.driver.failover;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.pgha.driver.FailoverTimeoutException;
import org.pgha.driver.FailureVerdict;
import org.pgha.driver.OutcomeUnknownException;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.metrics.ClusterMetrics;
import org.pgha.driver.routing.NodeBinding;
import org.pgha.driver.topology.ClusterView;
import org.pgha.driver.topology.Lsn;
import org.pgha.driver.topology.NodeState;

/**
 * What the commit-outcome lookup asks the servers: before a COMMIT, the transaction's id and
 * WAL position; after a COMMIT whose answer was lost, whether the primary now bound can vouch
 * for that id, and the id's status there. {@link FailoverPath} decides what to do with the
 * answers; {@link #resolve} asks until it has one it can believe, or the failover timeout.
 *
 * <p>Transaction ids are not unique across a promotion: a new primary that never received a
 * transaction's records can hand its id to a transaction of its own. So "committed" is believed
 * only when the answer comes from the node and timeline the transaction ran on, or from a
 * primary promoted from that timeline whose recovery replayed past the transaction's records
 * ({@code pg_last_wal_replay_lsn()} at or beyond the insert position taken before the COMMIT):
 * that primary knew the id, so it cannot have reused it. A primary whose recovery ended below
 * that position never had the commit record: rolled back. "Aborted" (or an id the primary never
 * reached) is always believed.
 */
public final class CommitOutcome {

    /** Where the lookup asks: a connection to the primary of now, bound by the failover path. */
    @FunctionalInterface
    interface Primary {
        Connection connect() throws SQLException;
    }

    private final NodeBinding binding;
    private final FailureClassifier classifier;
    private final ClusterView monitor;
    private final ClusterMetrics metrics;
    private final Duration timeout;

    CommitOutcome(NodeBinding binding, FailureClassifier classifier, ClusterView monitor, ClusterMetrics metrics,
                  Duration timeout) {
        this.binding = binding;
        this.classifier = classifier;
        this.monitor = monitor;
        this.metrics = metrics;
        this.timeout = timeout;
    }

    /**
     * Asks the primary, after the failover, what became of the transaction, for up to the
     * failover timeout: a transaction still "in progress" there (waiting for its synchronous
     * standby, say) is asked about again.
     *
     * @return true if it committed, false if it surely did not
     * @throws OutcomeUnknownException if that cannot be found out
     */
    boolean resolve(InDoubt doubt, HostSpec lost, SQLException failure, Primary primary) throws SQLException {
        long deadline = monitor.nanoTime() + timeout.toNanos();
        while (true) {
            String status;
            Trust trust;
            try {
                Connection c = primary.connect();
                trust = trust(doubt, binding.node(), c);
                status = trust == Trust.NEVER_REPLAYED ? "aborted" : status(c, doubt.xid());
                c.rollback();
            } catch (FailoverTimeoutException e) {
                throw outcomeUnknown(doubt.xid(), lost, failure, e);
            } catch (SQLException e) {
                if (classifier.classify(e, true) != FailureVerdict.NODE_LOST || monitor.nanoTime() - deadline >= 0) {
                    throw outcomeUnknown(doubt.xid(), lost, failure, e);
                }
                binding.discard();
                continue;
            }
            if ("committed".equals(status) && trust != Trust.UNTRUSTED) {
                metrics.commitResolved("committed");
                return true;
            }
            if ("in progress".equals(status) && monitor.nanoTime() - deadline < 0) {
                pause(10);
                continue;
            }
            if (status == null || "in progress".equals(status) || "committed".equals(status)) {
                throw outcomeUnknown(doubt.xid(), lost, failure, null);
            }
            metrics.commitResolved("rolled_back");
            return false;
        }
    }

    private OutcomeUnknownException outcomeUnknown(String xid, HostSpec lost, SQLException failure, SQLException why) {
        metrics.commitResolved("unknown");
        OutcomeUnknownException unknown = new OutcomeUnknownException("The connection to " + lost + " was lost during"
                + " COMMIT and the outcome of transaction " + xid + " cannot be determined: check before running it"
                + " again (" + failure.getMessage() + ")", failure);
        if (why != null) {
            unknown.addSuppressed(why);
        }
        return unknown;
    }

    private static void pause(long millis) throws SQLException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("Interrupted while resolving a commit", "08006", e);
        }
    }

    /**
     * A transaction about to commit: its id (null if it was assigned none, having written
     * nothing), the WAL insert position just before the COMMIT (every record of the transaction
     * lies below it, its commit record above), and the node and timeline it ran on.
     */
    public record InDoubt(String xid, long insertLsn, HostSpec host, int timeline) {
    }

    /** How far the primary now bound can vouch for the transaction's id. */
    public enum Trust {
        /** The node and timeline the transaction ran on, or one that replayed all its records. */
        TRUSTED,
        /** Its recovery ended before the transaction's commit record: it cannot have committed there. */
        NEVER_REPLAYED,
        /** Neither can be shown: a "committed" there may be another transaction with the same id. */
        UNTRUSTED
    }

    /** Reads the transaction's id and the insert position on the node it runs on: one round trip. */
    public static InDoubt before(Connection physical, NodeState ranOn) throws SQLException {
        try (Statement s = physical.createStatement();
             ResultSet rs = s.executeQuery(
                     "SELECT pg_current_xact_id_if_assigned()::text, pg_current_wal_insert_lsn()::text")) {
            rs.next();
            return new InDoubt(rs.getString(1), Lsn.parse(rs.getString(2)), ranOn.host(), ranOn.timeline());
        }
    }

    /** How far {@code primary}, reached through {@code c}, can vouch for the transaction's id. */
    public static Trust trust(InDoubt doubt, NodeState primary, Connection c) throws SQLException {
        if (primary.host().equals(doubt.host()) && primary.timeline() == doubt.timeline()) {
            // The same node, unless it restarted and lost WAL it had not flushed (a host crash):
            // then the transaction's records are gone and its id may have been handed out again.
            long current = Lsn.parse(queryText(c, "SELECT pg_current_wal_lsn()::text"));
            return current >= doubt.insertLsn() ? Trust.TRUSTED : Trust.NEVER_REPLAYED;
        }
        if (primary.timeline() < doubt.timeline()) {
            // A primary on an older timeline never replayed a record of a newer one (a history
            // that diverged, accepted by the application): the transaction is not in it.
            return Trust.NEVER_REPLAYED;
        }
        if (primary.timeline() != doubt.timeline() + 1) {
            return Trust.UNTRUSTED;
        }
        String replayed = queryText(c, "SELECT pg_last_wal_replay_lsn()::text");
        if (replayed == null) {
            return Trust.UNTRUSTED;
        }
        return Lsn.parse(replayed) >= doubt.insertLsn() ? Trust.TRUSTED : Trust.NEVER_REPLAYED;
    }

    /**
     * {@code pg_xact_status} on the primary: {@code committed}, {@code aborted},
     * {@code in progress}, null when too old to tell, and {@code aborted} for an id the primary
     * never reached (an ERROR there: the transaction's records never got to it).
     */
    public static String status(Connection c, String xid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_xact_status(?::xid8)")) {
            ps.setString(1, xid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        } catch (SQLException e) {
            if ("22023".equals(e.getSQLState())) {
                c.rollback();
                return "aborted";
            }
            throw e;
        }
    }

    private static String queryText(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
