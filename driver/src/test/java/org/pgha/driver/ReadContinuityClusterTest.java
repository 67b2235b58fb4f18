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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;
import org.pgha.testkit.StalenessChecker;
import org.pgha.testkit.StalenessReport;

/**
 * Replica reads go on while there is no primary, within their bound: the synchronous standby
 * holds every acknowledged commit, so once it has replayed what it received it serves fully
 * fresh reads whatever became of the primary. Two faults in sequence, each followed by a long
 * wait before the promotion (as a failover manager's {@code ttl} makes it): the primary
 * crashed (SIGKILL), then the next primary hung (SIGSTOP). Reads must be served inside both
 * windows without a primary, none staler than {@code maxReplicaLag} by the staleness checker,
 * and the writers must see no error.
 */
@LocalClusterTest(standbys = 2)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReadContinuityClusterTest {

    static final int KEYS = 8;
    private static final Duration BOUND = Duration.ofSeconds(1);
    /** How long each fault leaves the cluster without a primary. */
    private static final long OUTAGE_MILLIS = 3_000;

    @BeforeAll
    static void schema(LocalCluster cluster) throws SQLException {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE versions (key bigint PRIMARY KEY, seq bigint NOT NULL)");
            s.execute("INSERT INTO versions SELECT g, 0 FROM generate_series(0, " + (KEYS - 1) + ") g");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
    }

    /** A read that succeeded: when it began and ended (checker clock) and where it ran. */
    record Served(long startedAt, long endedAt, String node) {
    }

    @Test
    void readsGoOnWithoutAPrimaryAfterACrashAndAHang(LocalCluster cluster) throws Exception {
        List<ClusterEvent> events = new CopyOnWriteArrayList<>();
        List<long[]> outages = new ArrayList<>();
        ReadLoad load;
        try (PghaDataSource ds = DataSources.of(cluster, "maxReplicaLag=" + BOUND.toMillis() + "ms&probeInterval=100ms")) {
            ds.addClusterEventListener(events::add);
            load = new ReadLoad(ds);
            Thread.sleep(3_000);

            // 1. The primary crashes; the failover manager promotes the synchronous standby late.
            Node first = cluster.primary();
            Node sync = cluster.synchronousStandby().orElseThrow();
            int started = count(events, ClusterEvent.Type.FAILOVER_STARTED);
            cluster.crash(first);
            outages.add(outage(load.checker, events, started));
            cluster.failOver(sync);
            cluster.rejoin(first);
            cluster.awaitReplication(Duration.ofSeconds(30));
            Thread.sleep(2_000); // the monitor learns the new synchronous standby

            // 2. The new primary hangs; its synchronous standby is promoted late.
            Node second = cluster.primary();
            Node nextSync = cluster.synchronousStandby().orElseThrow();
            started = count(events, ClusterEvent.Type.FAILOVER_STARTED);
            cluster.freeze(second);
            outages.add(outage(load.checker, events, started));
            cluster.failOver(nextSync);
            cluster.crash(second);
            cluster.rejoin(second);
            Thread.sleep(2_000);
            load.stop();
        }
        assertThat(load.cleanWithin(BOUND).writesRecorded()).isGreaterThan(100);
        ConcurrentLinkedQueue<Served> served = load.served;
        for (long[] window : outages) {
            List<Served> inside = new ArrayList<>();
            for (Served s : served) {
                if (s.startedAt() > window[0] && s.endedAt() < window[1]) {
                    inside.add(s);
                }
            }
            assertThat(inside).as("reads served while there was no primary (%d ms), longest gap %d ms, events %s",
                    (window[1] - window[0]) / 1_000_000, longestGapMillis(served, window), events).hasSizeGreaterThan(50);
        }
    }

    /**
     * The synchronous standby's replay is paused when the primary crashes: it has received every
     * acknowledged commit but not replayed it, so it must not serve reads that need them, while
     * the asynchronous standby, caught up to what the synchronous one received, is bounded by
     * the synchronous one's samples and serves the reads through the outage.
     */
    @Test
    void aSynchronousStandbyThatHasNotReplayedServesNoStaleReadAndBoundsTheOtherReplica(LocalCluster cluster)
            throws Exception {
        List<ClusterEvent> events = new CopyOnWriteArrayList<>();
        long[] window;
        Node sync = cluster.synchronousStandby().orElseThrow();
        Node async = cluster.standbys().stream().filter(n -> n != sync).findFirst().orElseThrow();
        ReadLoad load;
        try (PghaDataSource ds = DataSources.of(cluster, "maxReplicaLag=" + BOUND.toMillis() + "ms&probeInterval=100ms")) {
            ds.addClusterEventListener(events::add);
            load = new ReadLoad(ds);
            Thread.sleep(2_000);
            cluster.pauseReplay(sync);
            Thread.sleep(1_500);
            Node first = cluster.primary();
            int started = count(events, ClusterEvent.Type.FAILOVER_STARTED);
            cluster.crash(first);
            window = outage(load.checker, events, started);
            cluster.resumeReplay(sync);
            cluster.failOver(sync);
            cluster.rejoin(first);
            cluster.awaitReplication(Duration.ofSeconds(30));
            Thread.sleep(1_000);
            load.stop();
        }
        load.cleanWithin(BOUND);
        ConcurrentLinkedQueue<Served> served = load.served;
        long onAsync = served.stream().filter(s -> s.startedAt() > window[0] && s.endedAt() < window[1]
                && s.node().equals(async.hostAndPort())).count();
        Map<String, Long> inside = new java.util.TreeMap<>();
        for (Served s : served) {
            if (s.startedAt() > window[0] && s.endedAt() < window[1]) {
                inside.merge(s.node(), 1L, Long::sum);
            }
        }
        assertThat(onAsync).as("reads on the asynchronous standby %s while there was no primary (by node: %s), events %s",
                async, inside, events)
                .isGreaterThan(50);
    }

    /**
     * Waits until the monitor sees no primary, then holds the outage; returns the window, on the
     * checker's clock, from the moment pgha knew there was no primary to the promotion.
     */
    static long[] outage(StalenessChecker checker, List<ClusterEvent> events, int before)
            throws InterruptedException {
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> count(events, ClusterEvent.Type.FAILOVER_STARTED) > before);
        long from = checker.now();
        Thread.sleep(OUTAGE_MILLIS);
        return new long[] {from, checker.now()};
    }

    static int count(List<ClusterEvent> events, ClusterEvent.Type type) {
        return (int) events.stream().filter(e -> e.type() == type).count();
    }

    private static long longestGapMillis(ConcurrentLinkedQueue<Served> served, long[] window) {
        long last = window[0];
        long gap = 0;
        List<Long> ends = new ArrayList<>();
        for (Served s : served) {
            if (s.endedAt() > window[0] && s.endedAt() < window[1]) {
                ends.add(s.endedAt());
            }
        }
        ends.sort(null);
        for (long end : ends) {
            gap = Math.max(gap, end - last);
            last = end;
        }
        return Math.max(gap, window[1] - last) / 1_000_000;
    }

    /**
     * Two writers updating {@value #KEYS} rows of {@code versions} (each its own half, one
     * transaction per row) and three readers reading them on read-only connections, all
     * reported to a staleness checker. A read refused with {@code 08R03} (no replica within the
     * bound, with {@code readFallback=fail}) is recorded apart and the reader goes on.
     */
    static final class ReadLoad {
        final StalenessChecker checker = new StalenessChecker();
        final ConcurrentLinkedQueue<Served> served = new ConcurrentLinkedQueue<>();
        /** When each refused read began, on the checker's clock. */
        final ConcurrentLinkedQueue<Long> refused = new ConcurrentLinkedQueue<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final ExecutorService pool = Executors.newFixedThreadPool(5);
        private final List<Future<?>> readers = new ArrayList<>();
        private final List<Future<?>> writers = new ArrayList<>();

        ReadLoad(PghaDataSource ds) {
            this(ds, 2);
        }

        /** @param writerCount 0 to 2 writers through {@code ds}: with none, the rows are the caller's to write */
        ReadLoad(PghaDataSource ds, int writerCount) {
            for (int w = 0; w < writerCount; w++) {
                int writer = w;
                writers.add(pool.submit(() -> write(ds, writer)));
            }
            for (int r = 0; r < 3; r++) {
                int reader = r;
                readers.add(pool.submit(() -> read(ds, reader)));
            }
        }

        /**
         * Asserts that the application saw no error and no refused read, and that no read was
         * staler than {@code bound}; returns the staleness report.
         */
        StalenessReport cleanWithin(Duration bound) {
            assertThat(errors).as("errors seen by the application").isEmpty();
            assertThat(refused).as("reads refused for want of a replica within the bound").isEmpty();
            StalenessReport report = checker.report(bound);
            assertThat(report.isClean()).as(report.summary()).isTrue();
            return report;
        }

        /** Stops every thread after the operation it is in, and waits for them. */
        void stop() throws Exception {
            running.set(false);
            try {
                for (Future<?> task : readers) {
                    task.get(90, TimeUnit.SECONDS);
                }
                for (Future<?> task : writers) {
                    task.get(90, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
        }

        /** Stops the readers and waits for them; the writers are left to end with the DataSource. */
        void stopReaders() throws Exception {
            running.set(false);
            for (Future<?> task : readers) {
                task.get(90, TimeUnit.SECONDS);
            }
            pool.shutdownNow();
        }

        private Void write(PghaDataSource ds, int writer) {
            String session = "writer-" + writer;
            long seq = 0;
            try (Connection c = ds.getConnection();
                 PreparedStatement update = c.prepareStatement("UPDATE versions SET seq = ? WHERE key = ?")) {
                c.setAutoCommit(false);
                while (running.get()) {
                    seq++;
                    for (int k = 0; k < KEYS / 2; k++) {
                        long key = writer * (KEYS / 2) + k;
                        update.setLong(1, seq);
                        update.setLong(2, key);
                        update.executeUpdate();
                        c.commit();
                        checker.writeAcknowledged(key, seq, session);
                    }
                    Thread.sleep(10);
                }
            } catch (SQLException | InterruptedException | RuntimeException e) {
                if (running.get()) {
                    errors.add(e);
                }
            }
            return null;
        }

        private Void read(PghaDataSource ds, int reader) {
            String session = "reader-" + reader;
            long key = reader;
            try (Connection c = ds.getConnection()) {
                c.setReadOnly(true);
                while (running.get()) {
                    key = (key + 1) % KEYS;
                    long started = checker.now();
                    // Prepared for each read: with readFallback=fail, preparing may be refused too.
                    try (PreparedStatement select = c.prepareStatement("SELECT seq FROM versions WHERE key = ?")) {
                        select.setLong(1, key);
                        try (ResultSet rs = select.executeQuery()) {
                            rs.next();
                            String node = c.unwrap(PghaConnection.class).currentNode();
                            checker.readCompleted(started, key, rs.getLong(1), session, node);
                            served.add(new Served(started, checker.now(), node));
                        }
                    } catch (SQLException e) {
                        if (!PghaSqlState.NO_REPLICA_WITHIN_LAG.equals(e.getSQLState())) {
                            throw e;
                        }
                        refused.add(started);
                    }
                    Thread.sleep(2);
                }
            } catch (SQLException | InterruptedException | RuntimeException e) {
                if (running.get()) {
                    errors.add(e);
                }
            }
            return null;
        }
    }
}
