package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.FaultProxy;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.Node;

/**
 * A failover manager's split brain can bring back an old primary, on its old timeline, as the
 * only primary, after pgha wrote on the promoted node's newer timeline: the writes
 * acknowledged there are not in the old primary's history. pgha cannot prevent it, but it saw
 * both histories: it reports the divergence and, by default, refuses to write or read there
 * until the newer primary is back or the application accepts the older history.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class HistoryDivergenceClusterTest {

    @Test
    void anOldPrimaryBackAsTheOnlyOneIsRefusedUntilTheNewerOneReturnsOrItsHistoryIsAccepted() throws Exception {
        try (LocalCluster cluster = LocalCluster.builder().standbys(1).synchronousStandbys(1).start()) {
            Node old = cluster.primary();
            Node promoted = cluster.standbys().get(0);
            try (Connection c = cluster.connect(old); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE chart (id bigint, port int DEFAULT inet_server_port())");
            }
            cluster.awaitReplication(Duration.ofSeconds(30));
            List<ClusterEvent> events = new CopyOnWriteArrayList<>();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms&failoverTimeout=2s");
            ds.addClusterEventListener(events::add);
            ds.setMetricRegistry(registry);
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            PrintStream stderr = System.err;
            try (ds) {
                assertThat(write(ds, 1)).isEqualTo(old.port());
                cluster.crash(old);
                cluster.promote(promoted);
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> write(ds, 2) == promoted.port());
                assertThat(write(ds, 3)).isEqualTo(promoted.port());
                int newer = cluster.timeline(promoted);

                // The promoted node goes away and the old primary comes back, on its old timeline.
                System.setErr(new PrintStream(new Tee(stderr, log), true, StandardCharsets.UTF_8));
                cluster.crash(promoted);
                cluster.start(old);
                commitWithoutStandby(cluster, old);
                assertThat(cluster.timeline(old)).isLessThan(newer);
                ClusterEvent diverged = await().atMost(Duration.ofSeconds(30)).until(() -> event(events), e -> e != null);
                assertThat(diverged.node()).isEqualTo(old.hostAndPort());
                assertThat(diverged.detail()).contains("timeline " + cluster.timeline(old), "timeline " + newer,
                        promoted.hostAndPort(), "may be lost");
                assertThat(ds.clusterStatus().writes()).isEqualTo(ClusterStatus.Writes.HISTORY_DIVERGED);
                assertThat(registry.get("pgha.history.diverged").counter().count()).isEqualTo(1.0);
                await().atMost(Duration.ofSeconds(5)).until(() -> log.toString(StandardCharsets.UTF_8).contains("ERROR"));
                String logged = log.toString(StandardCharsets.UTF_8);
                assertThat(logged).contains("history diverged", "timeline " + newer, "08R05");

                assertThatThrownBy(() -> write(ds, 4)).isInstanceOf(HistoryDivergedException.class)
                        .hasMessageContaining("timeline " + newer).hasMessageContaining("acceptDivergedHistory()")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo(PghaSqlState.HISTORY_DIVERGED));
                assertThatThrownBy(() -> read(ds)).as("a read would miss acknowledged writes too")
                        .isInstanceOf(HistoryDivergedException.class);
                assertThat(count(cluster, old, 4)).isZero();

                // The newer primary comes back: it is the write target again, nothing to accept.
                cluster.start(promoted);
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> write(ds, 5) == promoted.port());
                assertThat(ds.clusterStatus().writes()).isEqualTo(ClusterStatus.Writes.PRIMARY);
                assertThat(ds.acceptDivergedHistory()).as("nothing diverged now").isFalse();

                // Gone again: diverged again, a second event; the application accepts the old history.
                cluster.crash(promoted);
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> ds.clusterStatus().writes() == ClusterStatus.Writes.HISTORY_DIVERGED);
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> registry.get("pgha.history.diverged").counter().count() == 2.0);
                assertThat(ds.acceptDivergedHistory()).isTrue();
                assertThat(write(ds, 6)).isEqualTo(old.port());
                assertThat(ds.clusterStatus().writes()).isEqualTo(ClusterStatus.Writes.PRIMARY);
                assertThat(count(cluster, old, 6)).isEqualTo(1);

                // The abandoned history comes back as a primary on its higher timeline: it lacks
                // what the accepted one took since, so it is diverged in turn, not followed.
                cluster.start(promoted);
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> registry.get("pgha.history.diverged").counter().count() == 3.0);
                assertThat(ds.clusterStatus().writes()).isEqualTo(ClusterStatus.Writes.HISTORY_DIVERGED);
                assertThatThrownBy(() -> write(ds, 7)).isInstanceOf(HistoryDivergedException.class)
                        .hasMessageContaining("given up");
                assertThat(count(cluster, promoted, 7)).isZero();
            } finally {
                System.setErr(stderr);
            }
        }
    }

    /**
     * With {@code followDivergedHistory=true}, pgha follows the old primary; a COMMIT whose
     * answer was lost on the newer timeline is then looked up there. Its transaction id means
     * nothing on the older history (here another transaction committed under it), and the
     * transaction never reached that history: it is not committed there, so it is replayed and
     * committed once.
     */
    @Test
    void followingADivergedHistoryALostCommitIsLookedUpThereCorrectlyAndReplayed() throws Exception {
        try (LocalCluster cluster = LocalCluster.builder().standbys(2).synchronousStandbys(1).start()) {
            Node old = cluster.primary();
            Node sync = cluster.synchronousStandby().orElseThrow();
            Node other = cluster.standbys().stream().filter(n -> n != sync).findFirst().orElseThrow();
            try (Connection c = cluster.connect(old); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE chart (id bigint, port int DEFAULT inet_server_port())");
            }
            cluster.awaitReplication(Duration.ofSeconds(30));
            List<ClusterEvent> events = new CopyOnWriteArrayList<>();
            try (FaultProxy toOld = FaultProxy.start(old.host(), old.port())) {
                PghaDataSource ds = new PghaDataSource();
                ds.setUrl("jdbc:pgha://" + toOld.host() + ":" + toOld.port() + "," + sync.hostAndPort() + ","
                        + other.hostAndPort() + "/" + cluster.database()
                        + "?probeInterval=100ms&probeTimeout=500ms&followDivergedHistory=true");
                ds.setUser(cluster.user());
                ds.setPassword(cluster.password());
                ds.addClusterEventListener(events::add);
                try (ds) {
                    cluster.crash(old);
                    cluster.failOver(sync); // the other standby follows it, as its synchronous standby
                    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> write(ds, 1) == sync.port());
                    toOld.blackHole();
                    try (Connection c = ds.getConnection()) {
                        c.setAutoCommit(false);
                        insert(c, 2);
                        cluster.freeze(other);
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
                            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.commitsAwaitingStandby(sync) > 0);
                            // The old primary comes back on its old timeline, unseen by pgha for now,
                            // and hands out transaction ids far past the one of the transaction in doubt.
                            cluster.start(old);
                            commitWithoutStandby(cluster, old);
                            consumeTransactionIds(cluster, old, 300);
                            cluster.crash(sync); // the COMMIT's answer is lost
                            toOld.pass();
                            commit.get(90, TimeUnit.SECONDS);
                        } finally {
                            cluster.thaw(other);
                        }
                    }
                    assertThat(events).anySatisfy(e -> assertThat(e.type()).isEqualTo(ClusterEvent.Type.HISTORY_DIVERGED));
                    assertThat(count(cluster, old, 2)).as("committed once, on the history that goes on").isEqualTo(1);
                    assertThat(write(ds, 3)).isEqualTo(old.port());
                }
            }
        }
    }

    private static ClusterEvent event(List<ClusterEvent> events) {
        return events.stream().filter(e -> e.type() == ClusterEvent.Type.HISTORY_DIVERGED).findFirst().orElse(null);
    }

    private static int write(PghaDataSource ds, long id) throws SQLException {
        try (Connection c = ds.getConnection()) {
            insert(c, id);
            return RoutingClusterTest.port(c);
        }
    }

    private static void insert(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO chart (id) VALUES (?)")) {
            ps.setLong(1, id);
            ps.executeUpdate();
        }
    }

    private static void read(PghaDataSource ds) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setReadOnly(true);
            RoutingClusterTest.port(c);
        }
    }

    private static long count(LocalCluster cluster, Node node, long id) throws SQLException {
        try (Connection c = cluster.connect(node); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM chart WHERE id = " + id)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * The old primary comes back configured to wait for its synchronous standby of old, which
     * is gone: it commits on its own from now on.
     */
    private static void commitWithoutStandby(LocalCluster cluster, Node node) throws SQLException {
        try (Connection c = cluster.connect(node); Statement s = c.createStatement()) {
            s.execute("ALTER SYSTEM SET synchronous_standby_names = ''");
            s.execute("SELECT pg_reload_conf()");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            try (Connection c = cluster.connect(node); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SHOW synchronous_standby_names")) {
                rs.next();
                return rs.getString(1).isEmpty();
            }
        });
    }

    private static void consumeTransactionIds(LocalCluster cluster, Node node, int count) throws SQLException {
        try (Connection c = cluster.connect(node); Statement s = c.createStatement()) {
            for (int i = 0; i < count; i++) {
                s.execute("SELECT pg_current_xact_id()");
            }
        }
    }

    /** Writes to two streams: the test reads what was logged, the build log still shows it. */
    private static final class Tee extends OutputStream {
        private final OutputStream first;
        private final OutputStream second;

        Tee(OutputStream first, OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(int b) throws java.io.IOException {
            first.write(b);
            synchronized (second) {
                second.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            first.write(b, off, len);
            synchronized (second) {
                second.write(b, off, len);
            }
        }
    }
}
