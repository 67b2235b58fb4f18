package org.pgha.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.pgha.pool.PghaPoolDataSource;
import org.pgha.testkit.Ledger;
import org.pgha.testkit.LedgerReport;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.Node;
import org.pgha.testkit.StalenessChecker;
import org.pgha.testkit.StalenessReport;

/**
 * What an application sees when its primary fails, on pgjdbc's multi-host URL with HikariCP
 * against pgha's pool, each with its defaults, on the same kind of local cluster (a primary, a
 * synchronous and an asynchronous standby).
 *
 * <p>Four writer threads run one-row transactions, as {@code @Transactional} code does, and
 * retry a transaction that failed with an {@code SQLException} up to twice with the same row,
 * as applications commonly do. Then the primary crashes ({@code SIGKILL}) or hangs
 * ({@code SIGSTOP}); one second later, as a failover manager would, the synchronous standby is
 * promoted and the other standby re-pointed. Measured: how soon after the promotion began a
 * write succeeded again, the longest time without one, the exceptions the application saw, and
 * what the ledger finds in the database (lost and doubled rows).
 *
 * <p>Beside them, one thread updates a row of a small {@code versions} table after another and
 * two reader threads run read-only transactions ({@code setReadOnly(true)}, as
 * {@code @Transactional(readOnly = true)} does) on those rows: through pgha's pool, and for
 * pgjdbc through a second HikariCP pool with {@code targetServerType=preferSecondary}, as
 * applications that read from standbys set it up. Measured: the longest time without a
 * successful read, the worst staleness a read saw (by the staleness checker), and how many
 * reads were staler than pgha's default bound ({@code maxReplicaLag}, 2 s).
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar org.pgha.bench.FailoverBenchmark [rounds]
 * </pre>
 */
public final class FailoverBenchmark {

    private static final Duration WARM_UP = Duration.ofSeconds(3);
    private static final Duration MANAGER_DELAY = Duration.ofSeconds(1);
    /** How long to wait for a write after the promotion before calling it "none". */
    private static final Duration GIVE_UP = Duration.ofSeconds(30);
    private static final Duration AFTER = Duration.ofSeconds(3);
    private static final int WRITERS = 4;
    private static final int ATTEMPTS = 3;

    enum Stack {
        PGJDBC("pgjdbc multi-host + HikariCP"), PGHA("pgha PghaPoolDataSource");

        final String label;

        Stack(String label) {
            this.label = label;
        }
    }

    enum Fault { CRASH, HANG }

    /** pgha's default {@code maxReplicaLag}: the bound reads are checked against. */
    private static final Duration READ_BOUND = Duration.ofSeconds(2);
    private static final int KEYS = 8;
    private static final int READERS = 2;

    record Outcome(Stack stack, Fault fault, double firstWriteSeconds, double longestGapSeconds, long exceptions,
                   long failedAfterRetries, LedgerReport ledger, double longestReadGapSeconds, long readExceptions,
                   StalenessReport staleness) {
    }

    private FailoverBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        List<Outcome> outcomes = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (Fault fault : Fault.values()) {
                for (Stack stack : Stack.values()) {
                    outcomes.add(run(stack, fault));
                }
            }
        }
        System.out.println();
        System.out.printf("%-30s %-6s %22s %16s %11s %8s %6s %8s %15s %11s %16s %15s%n", "stack", "fault",
                "first write after promo", "longest no-write", "exceptions", "failed", "lost", "doubled",
                "longest no-read", "read errors", "reads staler 2s", "worst staleness");
        for (Outcome o : outcomes) {
            System.out.printf("%-30s %-6s %22s %14.2f s %11d %8d %6d %8d %13.2f s %11d %16d %13.2f s%n", o.stack().label,
                    o.fault(), Double.isNaN(o.firstWriteSeconds()) ? "none in " + GIVE_UP.toSeconds() + " s"
                            : String.format("%.2f s", o.firstWriteSeconds()),
                    o.longestGapSeconds(), o.exceptions(), o.failedAfterRetries(), o.ledger().lost().size(),
                    o.ledger().duplicated().size(), o.longestReadGapSeconds(), o.readExceptions(),
                    o.staleness().staleReads().size(), o.staleness().maxStaleness().toMillis() / 1e3);
        }
    }

    static Outcome run(Stack stack, Fault fault) throws Exception {
        try (LocalCluster cluster = LocalCluster.builder().standbys(2).synchronousStandbys(1).start()) {
            Ledger ledger = new Ledger("bench_ledger");
            try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
                ledger.createTable(c);
                s.execute("CREATE TABLE versions (key bigint PRIMARY KEY, seq bigint NOT NULL)");
                s.execute("INSERT INTO versions SELECT g, 0 FROM generate_series(0, " + (KEYS - 1) + ") g");
            }
            cluster.awaitReplication(Duration.ofSeconds(30));
            StalenessChecker checker = new StalenessChecker();
            try (AutoCloseableDataSource ds = dataSource(stack, cluster, false);
                 AutoCloseableDataSource reads = stack == Stack.PGHA ? ds : dataSource(stack, cluster, true);
                 Writers writers = new Writers(ds.dataSource(), ledger);
                 Readers readers = new Readers(ds.dataSource(), reads.dataSource(), checker)) {
                Thread.sleep(WARM_UP.toMillis());
                Node old = cluster.primary();
                Node sync = cluster.synchronousStandby().orElseThrow();
                long faultAt = System.nanoTime();
                if (fault == Fault.CRASH) {
                    cluster.crash(old);
                } else {
                    cluster.freeze(old);
                }
                Thread.sleep(MANAGER_DELAY.toMillis());
                long promotedAt = System.nanoTime();
                cluster.promote(sync);
                double promotionSeconds = (System.nanoTime() - promotedAt) / 1e9;
                for (Node node : cluster.nodes()) {
                    if (node != old && node != sync && cluster.isRunning(node)) {
                        cluster.follow(node, sync);
                    }
                }
                long firstWrite = writers.awaitWriteAfter(promotedAt, GIVE_UP);
                Thread.sleep(AFTER.toMillis());
                if (fault == Fault.HANG) {
                    cluster.crash(old); // fenced, as the manager's watchdog would; releases threads stuck on it
                }
                writers.stop();
                readers.stop();
                cluster.awaitReplication(Duration.ofSeconds(60));
                LedgerReport report;
                try (Connection c = cluster.connect(cluster.primary())) {
                    report = ledger.verify(c);
                }
                double first = firstWrite < 0 ? Double.NaN : (firstWrite - promotedAt) / 1e9;
                StalenessReport staleness = checker.report(READ_BOUND);
                Outcome outcome = new Outcome(stack, fault, first, writers.longestGapAfter(faultAt - 1_000_000_000L) / 1e9,
                        writers.exceptions.get(), writers.failed.get(), report,
                        readers.longestGapAfter(faultAt - 1_000_000_000L) / 1e9,
                        readers.exceptions.get(), staleness);
                System.out.printf("%s, %s: first write %s after the promotion began (the promotion took %.2f s),"
                        + " %d exceptions, %s; longest no-read %.2f s, %d read errors, %s%n", stack.label, fault,
                        Double.isNaN(first) ? "never" : String.format("%.2f s", first), promotionSeconds, outcome.exceptions(),
                        report.summary(), outcome.longestReadGapSeconds(), outcome.readExceptions(), staleness.summary());
                return outcome;
            }
        }
    }

    /** A DataSource that is closed with the run. */
    record AutoCloseableDataSource(DataSource dataSource, AutoCloseable closer) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            closer.close();
        }
    }

    /** @param forReads for pgjdbc, the second pool that reads from the standbys */
    private static AutoCloseableDataSource dataSource(Stack stack, LocalCluster cluster, boolean forReads) {
        if (stack == Stack.PGJDBC) {
            return hikari(pgjdbcUrl(cluster.hosts(), cluster.database(), forReads), cluster.user(), cluster.password());
        }
        return pgha("jdbc:pgha://" + cluster.hosts() + "/" + cluster.database(), cluster.user(), cluster.password());
    }

    /** pgjdbc's multi-host URL as applications set it up: the primary for writes, preferably a standby for reads. */
    static String pgjdbcUrl(String hosts, String database, boolean forReads) {
        return "jdbc:postgresql://" + hosts + "/" + database
                + (forReads ? "?targetServerType=preferSecondary&loadBalanceHosts=true" : "?targetServerType=primary");
    }

    /** A HikariCP pool of 8 on {@code url}, otherwise at its defaults. */
    static AutoCloseableDataSource hikari(String url, String user, String password) {
        return pool(new HikariDataSource(), url, user, password);
    }

    /** pgha's pool, 8 per node, otherwise at its defaults. */
    static AutoCloseableDataSource pgha(String url, String user, String password) {
        return pool(new PghaPoolDataSource(), url, user, password);
    }

    /** Both pools take HikariCP's configuration. */
    private static <P extends HikariConfig & DataSource & AutoCloseable> AutoCloseableDataSource pool(P pool, String url,
            String user, String password) {
        pool.setJdbcUrl(url);
        pool.setUsername(user);
        pool.setPassword(password);
        pool.setMaximumPoolSize(8);
        return new AutoCloseableDataSource(pool, pool);
    }

    /** Threads that loop until stopped, and when each of their operations succeeded (System.nanoTime). */
    abstract static class Loops implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final ConcurrentLinkedQueue<Long> successes = new ConcurrentLinkedQueue<>();
        final ExecutorService threads;

        Loops(int count) {
            threads = Executors.newFixedThreadPool(count);
        }

        /** The longest time without a success, from {@code from} to the last one. */
        long longestGapAfter(long from) {
            long[] sorted = successes.stream().mapToLong(Long::longValue).filter(a -> a >= from).sorted().toArray();
            long previous = from;
            long gap = 0;
            for (long at : sorted) {
                gap = Math.max(gap, at - previous);
                previous = at;
            }
            return gap;
        }

        void stop() throws InterruptedException {
            running.set(false);
            threads.shutdown();
            if (!threads.awaitTermination(120, TimeUnit.SECONDS)) {
                threads.shutdownNow();
            }
        }

        @Override
        public void close() {
            running.set(false);
            threads.shutdownNow();
        }
    }

    /** Writer threads: one-row transactions, each retried up to twice with the same row. */
    static final class Writers extends Loops {
        final AtomicLong exceptions = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        private final DataSource ds;
        private final Ledger ledger;

        Writers(DataSource ds, Ledger ledger) {
            super(WRITERS);
            this.ds = ds;
            this.ledger = ledger;
            for (int i = 0; i < WRITERS; i++) {
                threads.submit(this::loop);
            }
        }

        private void loop() {
            while (running.get()) {
                long id = ledger.newId();
                boolean done = false;
                for (int attempt = 1; attempt <= ATTEMPTS && !done && running.get(); attempt++) {
                    try {
                        write(id);
                        done = true;
                    } catch (SQLException e) {
                        exceptions.incrementAndGet();
                    }
                }
                if (done) {
                    ledger.acknowledged(id);
                    successes.add(System.nanoTime());
                } else {
                    ledger.unknown(id); // some attempt may have committed: the application cannot tell
                    failed.incrementAndGet();
                }
            }
        }

        private void write(long id) throws SQLException {
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement(ledger.insertSql())) {
                    ps.setLong(1, id);
                    ps.setString(2, "bench");
                    ps.executeUpdate();
                }
                c.commit();
            }
        }

        /** When the first write after {@code nanos} was acknowledged; -1 if none within {@code limit}. */
        long awaitWriteAfter(long nanos, Duration limit) throws InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            while (System.nanoTime() - deadline < 0) {
                long first = successes.stream().filter(a -> a >= nanos).mapToLong(Long::longValue).min().orElse(-1);
                if (first >= 0) {
                    return first;
                }
                Thread.sleep(5);
            }
            return -1;
        }

    }

    /**
     * One thread updating the rows of {@code versions} in turn (each update its own transaction,
     * retried like the writers'), and {@value #READERS} threads reading them in read-only
     * transactions, each on a connection borrowed for it. Reads and writes go to the staleness
     * checker.
     */
    static final class Readers extends Loops {
        final AtomicLong exceptions = new AtomicLong();
        private final DataSource writes;
        private final DataSource reads;
        private final StalenessChecker checker;

        Readers(DataSource writes, DataSource reads, StalenessChecker checker) {
            super(READERS + 1);
            this.writes = writes;
            this.reads = reads;
            this.checker = checker;
            threads.submit(this::update);
            for (int i = 0; i < READERS; i++) {
                int reader = i;
                threads.submit(() -> read(reader));
            }
        }

        private void update() {
            long seq = 0;
            while (running.get()) {
                seq++;
                for (int key = 0; key < KEYS && running.get(); key++) {
                    for (int attempt = 1; attempt <= ATTEMPTS && running.get(); attempt++) {
                        try (Connection c = writes.getConnection()) {
                            c.setAutoCommit(false);
                            try (PreparedStatement ps = c.prepareStatement("UPDATE versions SET seq = ? WHERE key = ?")) {
                                ps.setLong(1, seq);
                                ps.setLong(2, key);
                                ps.executeUpdate();
                            }
                            c.commit();
                            checker.writeAcknowledged(key, seq, "versions");
                            break;
                        } catch (SQLException e) {
                            // the writers count the application's exceptions; this thread only feeds the checker
                        }
                    }
                }
                pause();
            }
        }

        private void read(int reader) {
            long key = reader;
            while (running.get()) {
                key = (key + 1) % KEYS;
                long started = checker.now();
                try (Connection c = reads.getConnection()) {
                    c.setReadOnly(true);
                    c.setAutoCommit(false);
                    long seq;
                    try (PreparedStatement ps = c.prepareStatement("SELECT seq FROM versions WHERE key = ?")) {
                        ps.setLong(1, key);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            seq = rs.getLong(1);
                        }
                    }
                    c.commit();
                    checker.readCompleted(started, key, seq, "reader-" + reader);
                    successes.add(checker.now()); // the checker's clock is System.nanoTime()
                } catch (SQLException e) {
                    exceptions.incrementAndGet();
                }
                pause();
            }
        }

        private void pause() {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running.set(false);
            }
        }

    }
}
