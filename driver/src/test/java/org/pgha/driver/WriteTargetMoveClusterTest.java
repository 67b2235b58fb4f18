package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.Ledger;
import org.pgha.testkit.LedgerReport;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.Node;
import org.pgha.testkit.Workload;

/**
 * A standby is promoted while the old primary keeps running and stays reachable (a partition
 * between it and its failover manager, or a manager that promoted without fencing it). Once pgha
 * knows the newer primary, no transaction open on the old one commits there: its connections
 * are aborted, a COMMIT re-checks where writes go, and open transactions are replayed on the new
 * primary as after a crash.
 *
 * <p>The old primary keeps its synchronous standby, so it could go on acknowledging commits:
 * only pgha stands between the application and a write that the new history never gets.
 * Commit timestamps on the old primary show when each of its rows committed.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class WriteTargetMoveClusterTest {

    /**
     * A COMMIT sent just before pgha saw the promotion may still be executed by the old primary
     * just after; this much later is far beyond that, and far below how long the held
     * transactions below wait after the promotion was seen.
     */
    private static final Duration IN_FLIGHT = Duration.ofSeconds(1);

    @Test
    void noTransactionCommitsOnTheOldPrimaryOnceTheNewOneIsKnown() throws Exception {
        try (LocalCluster cluster = LocalCluster.builder().standbys(2).synchronousStandbys(1)
                .setting("track_commit_timestamp", "on").start()) {
            Node old = cluster.primary();
            Node async = cluster.standbys().stream().filter(n -> cluster.synchronousStandby().orElseThrow() != n)
                    .findFirst().orElseThrow();
            Ledger ledger = new Ledger();
            try (Connection c = cluster.connect(old)) {
                ledger.createTable(c);
            }
            cluster.awaitReplication(Duration.ofSeconds(30));
            List<ClusterEvent> events = new CopyOnWriteArrayList<>();
            PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms");
            ds.addClusterEventListener(events::add);
            try (ds; Connection committer = ds.getConnection(); Connection continuer = ds.getConnection();
                 Connection idle = ds.getConnection()) {
                long held1 = ledger.newId();
                long held2 = ledger.newId();
                long later = ledger.newId();
                committer.setAutoCommit(false);
                insert(committer, ledger, held1);
                continuer.setAutoCommit(false);
                insert(continuer, ledger, held2);
                // Not asked of the server: a read of the server's port would differ on the new
                // primary, and the replay would rightly refuse to go on.
                assertThat(continuer.unwrap(PghaConnection.class).currentNode()).isEqualTo(old.hostAndPort());
                assertThat(RoutingClusterTest.port(idle)).isEqualTo(old.port());

                Workload load = transactions(ds, ledger);
                load.awaitProgress(50, Duration.ofSeconds(30));
                // The asynchronous standby is promoted; the old primary runs on with its synchronous one.
                cluster.promote(async);
                await().atMost(Duration.ofSeconds(30)).until(() -> primaryChangedTo(events, async) != null);
                Instant observed = primaryChangedTo(events, async).at();
                Thread.sleep(IN_FLIGHT.multipliedBy(3).toMillis());

                committer.commit();
                assertThat(RoutingClusterTest.port(continuer)).as("the transaction goes on on the new primary")
                        .isEqualTo(async.port());
                continuer.commit();
                insert(idle, ledger, later);
                ledger.acknowledged(held1);
                ledger.acknowledged(held2);
                ledger.acknowledged(later);
                load.awaitProgress(50, Duration.ofSeconds(30));
                load.stop(Duration.ofSeconds(60));
                assertThat(load.errors()).as("errors the application saw").isEmpty();
                assertThat(events).noneMatch(e -> e.type() == ClusterEvent.Type.HISTORY_DIVERGED);

                Map<Long, Long> onNew = counts(cluster, async);
                Map<Long, Instant> onOld = commitTimes(cluster, old);
                for (long id : new long[] {held1, held2, later}) {
                    assertThat(onNew.get(id)).as("id %d on the new primary", id).isEqualTo(1L);
                    assertThat(onOld).as("id %d on the old primary", id).doesNotContainKey(id);
                }
                List<String> lateOnOld = new ArrayList<>();
                Map<Long, Long> surviving = new HashMap<>(onNew);
                onOld.forEach((id, committed) -> {
                    if (!onNew.containsKey(id)) {
                        // Committed on the old primary only: lost to the new history. Before the
                        // promotion was seen, that is the failover manager's doing; after, pgha's.
                        surviving.merge(id, 1L, Long::sum);
                        if (committed.isAfter(observed.plus(IN_FLIGHT))) {
                            lateOnOld.add(id + " committed at " + committed + ", promotion seen at " + observed);
                        }
                    }
                });
                assertThat(lateOnOld).as("writes committed on the old primary after the promotion was seen").isEmpty();
                LedgerReport report = ledger.compare(surviving);
                assertThat(report.isClean()).as(report.summary()).isTrue();
                assertThat(report.acknowledged()).isGreaterThan(100);
            }
        }
    }

    private static ClusterEvent primaryChangedTo(List<ClusterEvent> events, Node node) {
        return events.stream().filter(e -> e.type() == ClusterEvent.Type.PRIMARY_CHANGED
                && e.node().equals(node.hostAndPort())).findFirst().orElse(null);
    }

    /** Transactions that stay open a little between their write and their COMMIT. */
    private static Workload transactions(PghaDataSource ds, Ledger ledger) {
        return Workload.builder().operation("transaction", 3, () -> {
            long id = ledger.newId();
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                insert(c, ledger, id);
                Thread.sleep(20);
                c.commit();
            }
            ledger.acknowledged(id);
        }).start();
    }

    private static void insert(Connection c, Ledger ledger, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(ledger.insertSql())) {
            ps.setLong(1, id);
            ps.setString(2, "move");
            ps.executeUpdate();
        }
    }

    private static Map<Long, Long> counts(LocalCluster cluster, Node node) throws SQLException {
        Map<Long, Long> counts = new HashMap<>();
        try (Connection c = cluster.connect(node); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, count(*) FROM " + Ledger.DEFAULT_TABLE + " GROUP BY id")) {
            while (rs.next()) {
                counts.put(rs.getLong(1), rs.getLong(2));
            }
        }
        return counts;
    }

    private static Map<Long, Instant> commitTimes(LocalCluster cluster, Node node) throws SQLException {
        Map<Long, Instant> times = new HashMap<>();
        try (Connection c = cluster.connect(node); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, pg_xact_commit_timestamp(xmin) FROM " + Ledger.DEFAULT_TABLE)) {
            while (rs.next()) {
                Timestamp committed = rs.getTimestamp(2);
                times.put(rs.getLong(1), committed == null ? Instant.MIN : committed.toInstant());
            }
        }
        return times;
    }
}
