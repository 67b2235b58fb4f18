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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.FaultProxy;
import org.pgha.testkit.Ledger;
import org.pgha.testkit.LedgerReport;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * A primary crashes, or hangs, under concurrent load; the synchronous standby is promoted
 * and the other standby re-pointed. The ledger proves nothing acknowledged was lost and
 * nothing doubled; readers see no error; writers see only the documented exceptions.
 */
@LocalClusterTest
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class FailoverClusterTest {

    @Test
    void crashOfThePrimaryUnderLoadTwiceInARow(LocalCluster cluster) throws Exception {
        try (Workload load = new Workload(cluster, "crash_ledger")) {
            for (int round = 1; round <= 2; round++) {
                failOver(cluster, load, cluster::crash);
            }
            load.stopAndCheck();
            // Each crash was one failover, seen as events and in the meters.
            assertThat(load.events.stream().filter(e -> e.type() == ClusterEvent.Type.FAILOVER_COMPLETED))
                    .hasSizeGreaterThanOrEqualTo(2)
                    .allSatisfy(e -> assertThat(e.duration()).isNotNull().isLessThan(Duration.ofSeconds(30)));
            assertThat(load.registry.get("pgha.failover.duration").timer().count()).isGreaterThanOrEqualTo(2);
        }
    }

    /**
     * With transactionReplay=false, a transaction in flight at a crash is rolled back: the
     * transactional writers see TransactionRolledBackException (40R01) and nothing else, and the
     * ledger has none of those transactions' rows (ReplayClusterTest shows the rollback
     * deterministically).
     */
    @Test
    void withoutReplayTransactionsInFlightAtACrashAreRolledBackTwiceInARow(LocalCluster cluster) throws Exception {
        try (Workload load = new Workload(cluster, "noreplay_ledger", cluster.hosts(), "&transactionReplay=false")) {
            for (int round = 1; round <= 2; round++) {
                failOver(cluster, load, cluster::crash);
            }
            load.stopAndCheck();
            // Whether a crash catches a transaction before or during its COMMIT is timing: what
            // they saw may be empty (the COMMIT was found committed), never another exception.
            assertThat(load.transactionOutcomes).as("what the transactional writers saw")
                    .allMatch(outcome -> outcome.startsWith(PghaSqlState.TRANSACTION_ROLLED_BACK + ":"));
            assertThat(load.registry.get("pgha.transaction.replays").tag("result", "replayed").counter().count())
                    .as("no replay with transactionReplay=false (the counter exists from the start, at 0)").isZero();
        }
    }

    @Test
    void aHungPrimaryTwiceInARowReleasesItsBlockedThreadsWhichContinueOnTheNewPrimary(LocalCluster cluster) throws Exception {
        try (Workload load = new Workload(cluster, "freeze_ledger")) {
            for (int round = 1; round <= 2; round++) {
                failOver(cluster, load, old -> {
                    cluster.freeze(old);
                    // Threads are now blocked on the hung primary's sockets; the monitor must find it
                    // DOWN (probeTimeout) and abort them, so that they wait for the new primary instead.
                    sleep(2_000);
                    // A hung host is fenced before it rejoins (here: killed, as STONITH would).
                    return () -> cluster.crash(old);
                });
            }
            load.stopAndCheck();
        }
    }

    /**
     * A planned switchover: the primary shuts down cleanly (as Patroni does it, a fast
     * shutdown that ends every session), the synchronous standby is promoted. With
     * exactlyOnceAutocommit (and transaction replay, on by default) no client sees any error:
     * the autocommit writes and transactions in flight at the shutdown are looked up or
     * replayed on the new primary.
     */
    @Test
    void aPlannedSwitchoverUnderLoadTwiceInARowWithNoError(LocalCluster cluster) throws Exception {
        try (Workload load = new Workload(cluster, "switchover_ledger", cluster.hosts(), "&exactlyOnceAutocommit=true")) {
            for (int round = 1; round <= 2; round++) {
                failOver(cluster, load, cluster::stop);
            }
            load.stopAndCheck();
            assertThat(load.autocommitOutcomes).as("exceptions the autocommit writers saw").isEmpty();
        }
    }

    /**
     * The primary's network link fails while the primary itself stays well: a black hole (a
     * hung link), then resets, then cut connections. No promotion: pgha finds the primary again
     * behind its link, and nothing is lost or doubled.
     */
    @Test
    void aBlackHoleAndResetsOnThePrimarysLink(LocalCluster cluster) throws Exception {
        Node primary = cluster.primary();
        try (FaultProxy link = FaultProxy.start(primary.host(), primary.port())) {
            StringBuilder hosts = new StringBuilder(link.host() + ":" + link.port());
            cluster.standbys().forEach(s -> hosts.append(',').append(s.hostAndPort()));
            try (Workload load = new Workload(cluster, "link_ledger", hosts.toString())) {
                load.awaitProgress();
                link.blackHole();
                Thread.sleep(2_500);
                link.pass();
                load.awaitProgress();
                link.reset();
                Thread.sleep(500);
                link.pass();
                load.awaitProgress();
                link.cutExisting();
                load.awaitProgress();
                load.stopAndCheck();
            }
        }
    }

    /**
     * With exactlyOnceAutocommit, an autocommit write lost in a crash is looked up and run again
     * only if it surely did not commit: the autocommit writers see no exception at all, and the
     * ledger has every one of their writes exactly once.
     */
    @Test
    void exactlyOnceAutocommitWritesSeeNoErrorThroughTwoCrashes(LocalCluster cluster) throws Exception {
        try (Workload load = new Workload(cluster, "once_ledger", cluster.hosts(), "&exactlyOnceAutocommit=true")) {
            for (int round = 1; round <= 2; round++) {
                failOver(cluster, load, cluster::crash);
            }
            load.stopAndCheck();
            assertThat(load.autocommitOutcomes).as("exceptions the autocommit writers saw").isEmpty();
        }
    }

    /** What takes the primary away; it may return what must happen to it before it rejoins. */
    @FunctionalInterface
    private interface Fault {
        Runnable apply(Node primary) throws Exception;
    }

    private static void failOver(LocalCluster cluster, Workload load, java.util.function.Consumer<Node> fault)
            throws Exception {
        failOver(cluster, load, (Fault) old -> {
            fault.accept(old);
            return () -> { };
        });
    }

    /**
     * Under load: the fault takes the primary away, the synchronous standby is promoted, the
     * other standby re-pointed, and the old primary rejoins; the load must progress throughout.
     */
    private static void failOver(LocalCluster cluster, Workload load, Fault fault) throws Exception {
        load.awaitProgress();
        Node old = cluster.primary();
        Node sync = cluster.synchronousStandby().orElseThrow();
        Runnable beforeRejoin = fault.apply(old);
        cluster.failOver(sync);
        load.awaitProgress();
        beforeRejoin.run();
        cluster.rejoin(old);
        load.awaitProgress();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Autocommit writers, transactional writers and readers, each on its own thread. */
    private static final class Workload implements AutoCloseable {
        private final LocalCluster cluster;
        private final Ledger ledger;
        private final PghaDataSource ds;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final boolean replayOff;
        private final AtomicLong acknowledged = new AtomicLong();
        private final AtomicLong reads = new AtomicLong();
        private final List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        private final ConcurrentLinkedQueue<String> documented = new ConcurrentLinkedQueue<>();
        /** What the autocommit writers saw, apart. */
        final ConcurrentLinkedQueue<String> autocommitOutcomes = new ConcurrentLinkedQueue<>();
        /** What the transactional writers saw, apart: nothing, with transaction replay on. */
        final ConcurrentLinkedQueue<String> transactionOutcomes = new ConcurrentLinkedQueue<>();
        private final ExecutorService pool = Executors.newFixedThreadPool(5);
        private final List<Future<?>> tasks = new ArrayList<>();
        final List<ClusterEvent> events = new CopyOnWriteArrayList<>();
        final io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

        Workload(LocalCluster cluster, String table) throws SQLException {
            this(cluster, table, cluster.hosts());
        }

        Workload(LocalCluster cluster, String table, String hosts) throws SQLException {
            this(cluster, table, hosts, "");
        }

        Workload(LocalCluster cluster, String table, String hosts, String parameters) throws SQLException {
            this.cluster = cluster;
            this.ledger = new Ledger(table);
            this.replayOff = parameters.contains("transactionReplay=false");
            try (Connection c = cluster.connect(cluster.primary())) {
                ledger.createTable(c);
            }
            ds = new PghaDataSource();
            ds.setUrl("jdbc:pgha://" + hosts + "/" + cluster.database() + "?probeInterval=200ms&failoverTimeout=60s" + parameters);
            ds.setUser(cluster.user());
            ds.setPassword(cluster.password());
            ds.addClusterEventListener(events::add);
            ds.setMetricRegistry(registry);
            for (int i = 0; i < 2; i++) {
                tasks.add(pool.submit(this::autocommitWriter));
            }
            tasks.add(pool.submit(this::transactionalWriter));
            for (int i = 0; i < 2; i++) {
                tasks.add(pool.submit(this::reader));
            }
        }

        private Void autocommitWriter() {
            try (Connection c = ds.getConnection(); PreparedStatement insert = c.prepareStatement(ledger.insertSql())) {
                while (running.get()) {
                    long id = ledger.newId();
                    insert.setLong(1, id);
                    insert.setString(2, "autocommit");
                    try {
                        insert.executeUpdate();
                        ledger.acknowledged(id);
                        acknowledged.incrementAndGet();
                    } catch (OutcomeUnknownException e) {
                        ledger.unknown(id);
                        documented.add(e.getSQLState());
                        autocommitOutcomes.add(e.getSQLState());
                    }
                }
            } catch (Throwable t) {
                unexpected.add(t);
            }
            return null;
        }

        private Void transactionalWriter() {
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                while (running.get()) {
                    long first = ledger.newId();
                    long second = ledger.newId();
                    try (PreparedStatement insert = c.prepareStatement(ledger.insertSql());
                         PreparedStatement exists = c.prepareStatement("SELECT count(*) FROM " + ledger.table() + " WHERE id = ?")) {
                        // A read before the writes: a replay must find it the same.
                        exists.setLong(1, first);
                        try (ResultSet rs = exists.executeQuery()) {
                            rs.next();
                            assertThat(rs.getLong(1)).isZero();
                        }
                        for (long id : new long[] {first, second}) {
                            insert.setLong(1, id);
                            insert.setString(2, "transaction");
                            insert.executeUpdate();
                        }
                        c.commit();
                        ledger.acknowledged(first);
                        ledger.acknowledged(second);
                        acknowledged.addAndGet(2);
                    } catch (TransactionRolledBackException e) {
                        ledger.failed(first);
                        ledger.failed(second);
                        documented.add(e.getSQLState());
                        transactionOutcomes.add(e.getSQLState() + ": " + e.getMessage());
                    } catch (OutcomeUnknownException e) {
                        ledger.unknown(first);
                        ledger.unknown(second);
                        documented.add(e.getSQLState());
                        transactionOutcomes.add(e.getSQLState() + ": " + e.getMessage());
                    }
                }
            } catch (Throwable t) {
                unexpected.add(t);
            }
            return null;
        }

        private Void reader() {
            try (Connection c = ds.getConnection()) {
                c.setReadOnly(true);
                try (Statement s = c.createStatement()) {
                    while (running.get()) {
                        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + ledger.table())) {
                            rs.next();
                            reads.incrementAndGet();
                        }
                    }
                }
            } catch (Throwable t) {
                unexpected.add(t);
            }
            return null;
        }

        /** Waits until writes and reads have both moved on: the cluster serves again. */
        void awaitProgress() throws InterruptedException {
            long writes = acknowledged.get();
            long read = reads.get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acknowledged.get() < writes + 50 || reads.get() < read + 50) {
                assertThat(unexpected).as("unexpected failures").isEmpty();
                assertThat(System.nanoTime()).as("progress within 60 s").isLessThan(deadline);
                Thread.sleep(20);
            }
        }

        void stopAndCheck() throws Exception {
            running.set(false);
            for (Future<?> task : tasks) {
                task.get(90, TimeUnit.SECONDS);
            }
            assertThat(unexpected).as("unexpected failures").isEmpty();
            cluster.awaitReplication(Duration.ofSeconds(30));
            try (Connection c = cluster.connect(cluster.primary())) {
                LedgerReport report = ledger.verify(c);
                assertThat(report.isClean()).as(report.summary()).isTrue();
                assertThat(report.acknowledged()).isGreaterThan(200);
            }
            System.out.println(ledger.table() + ": " + report(documented) + " documented exceptions seen by writers; "
                    + registry.find("pgha.commit.resolutions").counters().stream()
                            .map(c -> c.getId().getTag("result") + "=" + (long) c.count()).toList()
                    + " commit resolutions, " + registry.find("pgha.transaction.replays").counters().stream()
                            .map(c -> c.getId().getTag("result") + "=" + (long) c.count()).toList()
                    + " replays, " + (long) registry.get("pgha.retries").counter().count() + " retries");
            if (!replayOff) {
                assertThat(transactionOutcomes).as("exceptions the transactional writers saw").isEmpty();
            }
            assertThat(documented).as("exceptions the writers saw").allMatch(
                    state -> state.equals(PghaSqlState.OUTCOME_UNKNOWN) || state.equals(PghaSqlState.TRANSACTION_ROLLED_BACK));
        }

        private static String report(ConcurrentLinkedQueue<String> states) {
            return states.size() + " (" + String.join(",", states) + ")";
        }

        @Override
        public void close() {
            running.set(false);
            pool.shutdownNow();
            ds.close();
        }
    }
}
