package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.FaultProxy;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * When the connection is lost around a COMMIT, pgha asks the primary what became of the
 * transaction instead of guessing. The primary is reached through a FaultProxy.
 */
@LocalClusterTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CommitOutcomeClusterTest {

    private FaultProxy proxy;
    private PghaDataSource ds;
    private final List<ClusterEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void proxyThePrimary(LocalCluster cluster) throws SQLException {
        Node primary = cluster.primary();
        proxy = FaultProxy.start(primary.host(), primary.port());
        ds = dataSource(cluster, "");
        try (Connection c = cluster.connect(primary); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS outcome (id bigint)");
        }
    }

    /** A data source reaching the primary through the proxy. */
    private PghaDataSource dataSource(LocalCluster cluster, String parameters) {
        StringBuilder hosts = new StringBuilder(proxy.host() + ":" + proxy.port());
        for (Node standby : cluster.standbys()) {
            hosts.append(',').append(standby.hostAndPort());
        }
        PghaDataSource source = new PghaDataSource();
        source.setUrl("jdbc:pgha://" + hosts + "/" + cluster.database() + "?probeInterval=100ms&probeTimeout=1s" + parameters);
        source.setUser(cluster.user());
        source.setPassword(cluster.password());
        source.addClusterEventListener(events::add);
        return source;
    }

    @AfterEach
    void close() {
        ds.close();
        proxy.close();
    }

    @Test
    void aCommitWhoseAnswerIsLostAfterTheServerCommittedReturnsSuccess(LocalCluster cluster) throws Exception {
        // The INSERT reads the transaction id along: the COMMIT is the next round trip.
        answerLostAfterCommit(cluster, "INSERT INTO outcome VALUES (?)", 1);
    }

    @Test
    void theSameWhenTheIdIsReadByAQueryOfItsOwnBeforeTheCommit(LocalCluster cluster) throws Exception {
        // A write that cannot carry the id query (it starts with WITH): the id is read before the COMMIT.
        answerLostAfterCommit(cluster, "WITH w AS (INSERT INTO outcome VALUES (?) RETURNING id) SELECT count(*) FROM w", 6);
    }

    private void answerLostAfterCommit(LocalCluster cluster, String insert, long id) throws Exception {
        Node sync = cluster.synchronousStandby().orElseThrow();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(insert)) {
                ps.setLong(1, id);
                ps.execute();
            }
            // The commit record is written on the primary, which then waits for the frozen
            // synchronous standby: the client gets no answer.
            cluster.freeze(sync);
            CompletableFuture<Void> commit;
            try {
                commit = CompletableFuture.runAsync(() -> {
                    try {
                        c.commit();
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                // The commit record is written; the COMMIT waits for the frozen standby.
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                        .until(() -> cluster.commitsAwaitingStandby(cluster.primary()) > 0);
                assertThat(commit).isNotDone();
                // The connection breaks while the COMMIT waits: its answer is lost, and pgha asks
                // the primary what became of the transaction (still in progress, while frozen).
                proxy.cutExisting();
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                        .until(() -> lookingUpOutcome(cluster));
            } finally {
                cluster.thaw(sync);
            }
            commit.get(60, TimeUnit.SECONDS); // no exception: pgha found it committed
            assertThat(count(cluster, id)).isEqualTo(1);
        }
    }

    @Test
    void aCommitThatNeverReachedTheServerIsReplayedAndCommittedOnce(LocalCluster cluster) throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            insert(c, 2);
            CompletableFuture<Void> commit = commitInABlackHole(c);
            // Found not committed, the transaction was replayed on the node and committed there.
            commit.get(60, TimeUnit.SECONDS);
            assertThat(count(cluster, 2)).isEqualTo(1);
        }
    }

    @Test
    void withoutReplayACommitThatNeverReachedTheServerIsReportedRolledBack(LocalCluster cluster) throws Exception {
        ds.close();
        ds = dataSource(cluster, "&transactionReplay=false");
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            insert(c, 4);
            CompletableFuture<Void> commit = commitInABlackHole(c);
            assertThatThrownBy(() -> commit.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
                    .satisfies(e -> assertThat(e.getCause().getCause()).isInstanceOf(TransactionRolledBackException.class));
            assertThat(count(cluster, 4)).isZero();
            // The connection goes on.
            insert(c, 5);
            c.commit();
            assertThat(count(cluster, 5)).isEqualTo(1);
        }
    }

    /**
     * Commits while the link to the primary is a black hole: the COMMIT never arrives. The
     * monitor finds the node hung (its probe times out) and aborts the connection; the link
     * comes back, and the commit gives its verdict.
     */
    private CompletableFuture<Void> commitInABlackHole(Connection c) {
        proxy.blackHole();
        CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> {
            try {
                c.commit();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> events.stream().anyMatch(e -> e.type() == ClusterEvent.Type.NODE_DOWN));
        proxy.pass();
        return commit;
    }

    /** pgha's connection asks the primary for the transaction's status. */
    private static boolean lookingUpOutcome(LocalCluster cluster) throws SQLException {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_xact_status%'"
                     + " AND pid <> pg_backend_pid()")) {
            rs.next();
            return rs.getLong(1) > 0;
        }
    }

    private static void insert(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO outcome VALUES (?)")) {
            ps.setLong(1, id);
            ps.executeUpdate();
        }
    }

    private static long count(LocalCluster cluster, long id) throws SQLException {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM outcome WHERE id = " + id)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
