package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;
import org.pgha.testkit.StalenessChecker;
import org.pgha.testkit.StalenessReport;

/**
 * Bounded staleness and read-your-writes, judged by the testkit's staleness checker on real
 * replicas, one of which lags on purpose.
 */
@LocalClusterTest
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ConsistencyClusterTest {

    private static final int KEYS = 8;

    @BeforeAll
    static void schema(LocalCluster cluster) throws SQLException {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE versions (key bigint PRIMARY KEY, seq bigint NOT NULL)");
            s.execute("INSERT INTO versions SELECT g, 0 FROM generate_series(0, " + (KEYS * 4 - 1) + ") g");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
    }

    /**
     * A 30 s mixed workload with a 6 s replay pause on one replica: no read is staler than
     * maxReplicaLag, and the replicas really served reads (else the check proves nothing).
     */
    @Test
    void noReadIsStalerThanMaxReplicaLagThroughALagSpike(LocalCluster cluster) throws Exception {
        Duration bound = Duration.ofSeconds(1);
        Node spiking = cluster.standbys().get(1);
        StalenessChecker checker = new StalenessChecker();
        Map<String, AtomicLong> readsByNode = new ConcurrentHashMap<>();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<ClusterEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (PghaDataSource ds = DataSources.of(cluster, "maxReplicaLag=" + bound.toMillis() + "ms&probeInterval=100ms")) {
            ds.addClusterEventListener(events::add);
            List<Future<?>> tasks = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int writer = w;
                tasks.add(pool.submit(() -> write(ds, checker, running, writer)));
            }
            for (int r = 0; r < 4; r++) {
                int reader = r;
                tasks.add(pool.submit(() -> read(ds, checker, running, readsByNode, reader)));
            }
            Thread.sleep(10_000);
            cluster.pauseReplay(spiking);
            Thread.sleep(6_000);
            cluster.resumeReplay(spiking);
            Thread.sleep(14_000);
            running.set(false);
            for (Future<?> task : tasks) {
                task.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        StalenessReport report = checker.report(bound);
        assertThat(report.isClean()).as(report.summary()).isTrue();
        // A busy primary stays the one primary: its probes' write and flush positions, read a
        // moment apart, once made it look behind itself (HISTORY_DIVERGED and fenced).
        assertThat(events).as("events on a healthy cluster under write load").noneMatch(e ->
                e.type() == ClusterEvent.Type.HISTORY_DIVERGED || e.type() == ClusterEvent.Type.FAILOVER_STARTED);
        assertThat(report.readsChecked()).isGreaterThan(1000);
        assertThat(report.writesRecorded()).isGreaterThan(200);
        for (Node standby : cluster.standbys()) {
            assertThat(readsByNode.getOrDefault(standby.hostAndPort(), new AtomicLong()).get())
                    .as("reads served by %s", standby).isGreaterThan(100);
        }
    }

    private static Void write(PghaDataSource ds, StalenessChecker checker, AtomicBoolean running, int writer) throws Exception {
        String session = "writer-" + writer;
        long seq = 0;
        try (Connection c = ds.getConnection();
             PreparedStatement update = c.prepareStatement("UPDATE versions SET seq = ? WHERE key = ?")) {
            while (running.get()) {
                seq++;
                for (int k = 0; k < KEYS / 2; k++) {
                    long key = writer * (KEYS / 2) + k;
                    update.setLong(1, seq);
                    update.setLong(2, key);
                    update.executeUpdate();
                    checker.writeAcknowledged(key, seq, session);
                }
                Thread.sleep(10);
            }
        }
        return null;
    }

    private static Void read(PghaDataSource ds, StalenessChecker checker, AtomicBoolean running,
                             Map<String, AtomicLong> readsByNode, int reader) throws Exception {
        String session = "reader-" + reader;
        long key = 0;
        while (running.get()) {
            try (Connection c = ds.getConnection()) {
                c.setReadOnly(true);
                try (PreparedStatement select = c.prepareStatement("SELECT seq FROM versions WHERE key = ?")) {
                    for (int i = 0; i < 20 && running.get(); i++) {
                        key = (key + 1) % KEYS;
                        long started = checker.now();
                        select.setLong(1, key);
                        try (ResultSet rs = select.executeQuery()) {
                            rs.next();
                            String node = c.unwrap(PghaConnection.class).currentNode();
                            checker.readCompleted(started, key, rs.getLong(1), session, node);
                            readsByNode.computeIfAbsent(node, n -> new AtomicLong()).incrementAndGet();
                        }
                    }
                }
            }
        }
        return null;
    }

    /**
     * With a generous staleness bound and one replica's replay paused, only read-your-writes
     * keeps a connection from reading a replica that lacks its own write: with it on, no
     * violation; with it off, the same workload shows violations (so the check can fail).
     */
    @Test
    void readYourWritesOnOneConnectionAndAcrossConnectionsByToken(LocalCluster cluster) throws Exception {
        StalenessReport with = withReplayPaused(cluster, true);
        assertThat(with.readYourWritesViolations()).as(with.summary()).isEmpty();
        assertThat(with.readsChecked()).isEqualTo(2 * 60);

        StalenessReport without = withReplayPaused(cluster, false);
        assertThat(without.readYourWritesViolations()).as("without readYourWrites: " + without.summary()).isNotEmpty();
    }

    /**
     * readFallback=wait: right after its own write, with replay paused on every replica, a read
     * waits for a replica instead of reading the primary; it is served by a replica once replay
     * resumes, and fails with 08R03 after readWaitTimeout when replay does not resume.
     */
    @Test
    void readFallbackWaitWaitsForAReplicaAndFailsAfterReadWaitTimeout(LocalCluster cluster) throws Exception {
        long key = KEYS * 3;
        String parameters = "maxReplicaLag=1s&probeInterval=100ms&readFallback=wait&readWaitTimeout=1500ms";
        ExecutorService background = Executors.newSingleThreadExecutor();
        try (PghaDataSource ds = DataSources.of(cluster, parameters); Connection c = ds.getConnection()) {
            update(c, key, 1);
            c.setReadOnly(true);
            assertThat(select(c, key)).isEqualTo(1);

            c.setReadOnly(false);
            for (Node standby : cluster.standbys()) {
                cluster.pauseReplay(standby);
            }
            update(c, key, 2);
            c.setReadOnly(true);
            Future<?> resumed = background.submit(() -> {
                Thread.sleep(700);
                for (Node standby : cluster.standbys()) {
                    cluster.resumeReplay(standby);
                }
                return null;
            });
            long started = System.nanoTime();
            assertThat(select(c, key)).as("the read waited for a replica holding its own write").isEqualTo(2);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(Duration.ofMillis(500));
            assertThat(c.unwrap(PghaConnection.class).currentNode()).isNotEqualTo(cluster.primary().hostAndPort());
            resumed.get(10, TimeUnit.SECONDS);

            c.setReadOnly(false);
            for (Node standby : cluster.standbys()) {
                cluster.pauseReplay(standby);
            }
            update(c, key, 3);
            c.setReadOnly(true);
            try {
                SQLException failed = org.assertj.core.api.Assertions.catchThrowableOfType(SQLException.class,
                        () -> select(c, key));
                assertThat((Throwable) failed).as("no replica holds the write, and the primary is not read").isNotNull();
                assertThat(failed.getSQLState()).isEqualTo(PghaSqlState.NO_REPLICA_WITHIN_LAG);
                assertThat(failed.getMessage()).contains("readFallback=wait").contains("waited readWaitTimeout (1500 ms)")
                        .containsAnyOf("not caught up with this session's write", "ms > 1000ms");
            } finally {
                for (Node standby : cluster.standbys()) {
                    cluster.resumeReplay(standby);
                }
            }
        } finally {
            background.shutdownNow();
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
    }

    /**
     * Each run pauses replay right before its DataSource starts, so that the paused replica is
     * within the (generous) bound from the monitor's first sample on: only read-your-writes
     * keeps reads away from it.
     */
    private static StalenessReport withReplayPaused(LocalCluster cluster, boolean readYourWrites) throws Exception {
        Node paused = cluster.standbys().get(1);
        cluster.pauseReplay(paused);
        try {
            return interleave(cluster, readYourWrites);
        } finally {
            cluster.resumeReplay(paused);
            cluster.awaitReplication(Duration.ofSeconds(30));
        }
    }

    private static StalenessReport interleave(LocalCluster cluster, boolean readYourWrites) throws SQLException {
        long key = KEYS + (readYourWrites ? 0 : KEYS);
        StalenessChecker checker = new StalenessChecker();
        String parameters = "maxReplicaLag=60s&probeInterval=100ms&loadBalance=roundRobin&readYourWrites=" + readYourWrites;
        try (PghaDataSource ds = DataSources.of(cluster, parameters)) {
            try (Connection c = ds.getConnection()) {
                for (int seq = 1; seq <= 60; seq++) {
                    c.setReadOnly(false);
                    update(c, key, seq);
                    checker.writeAcknowledged(key, seq, "one");
                    c.setReadOnly(true);
                    long started = checker.now();
                    checker.readCompleted(started, key, select(c, key), "one", c.unwrap(PghaConnection.class).currentNode());
                }
            }
            // Across connections: the writer hands its token to a fresh reader connection.
            long other = key + 1;
            for (int seq = 1; seq <= 60; seq++) {
                String token;
                try (Connection writer = ds.getConnection()) {
                    update(writer, other, seq);
                    token = writer.unwrap(PghaConnection.class).consistencyToken();
                }
                checker.writeAcknowledged(other, seq, "token");
                try (Connection reader = ds.getConnection()) {
                    if (readYourWrites) {
                        reader.unwrap(PghaConnection.class).setConsistencyToken(token);
                    }
                    reader.setReadOnly(true);
                    long started = checker.now();
                    checker.readCompleted(started, other, select(reader, other), "token",
                            reader.unwrap(PghaConnection.class).currentNode());
                }
            }
        }
        return checker.report(Duration.ofSeconds(60));
    }

    private static void update(Connection c, long key, long seq) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE versions SET seq = ? WHERE key = ?")) {
            ps.setLong(1, seq);
            ps.setLong(2, key);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    private static long select(Connection c, long key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT seq FROM versions WHERE key = ?")) {
            ps.setLong(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
