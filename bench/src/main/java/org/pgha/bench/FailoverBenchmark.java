package org.pgha.bench;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
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

    record Outcome(Stack stack, Fault fault, double firstWriteSeconds, double longestGapSeconds, long exceptions,
                   long failedAfterRetries, LedgerReport ledger) {
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
        System.out.printf("%-30s %-6s %22s %16s %11s %8s %6s %8s%n", "stack", "fault", "first write after promo",
                "longest no-write", "exceptions", "failed", "lost", "doubled");
        for (Outcome o : outcomes) {
            System.out.printf("%-30s %-6s %22s %14.2f s %11d %8d %6d %8d%n", o.stack().label, o.fault(),
                    Double.isNaN(o.firstWriteSeconds()) ? "none in " + GIVE_UP.toSeconds() + " s"
                            : String.format("%.2f s", o.firstWriteSeconds()),
                    o.longestGapSeconds(), o.exceptions(), o.failedAfterRetries(), o.ledger().lost().size(),
                    o.ledger().duplicated().size());
        }
    }

    static Outcome run(Stack stack, Fault fault) throws Exception {
        try (LocalCluster cluster = LocalCluster.builder().standbys(2).synchronousStandbys(1).start()) {
            Ledger ledger = new Ledger("bench_ledger");
            try (Connection c = cluster.connect(cluster.primary())) {
                ledger.createTable(c);
            }
            try (AutoCloseableDataSource ds = dataSource(stack, cluster); Writers writers = new Writers(ds.dataSource(), ledger)) {
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
                cluster.awaitReplication(Duration.ofSeconds(60));
                LedgerReport report;
                try (Connection c = cluster.connect(cluster.primary())) {
                    report = ledger.verify(c);
                }
                double first = firstWrite < 0 ? Double.NaN : (firstWrite - promotedAt) / 1e9;
                Outcome outcome = new Outcome(stack, fault, first, writers.longestGapAfter(faultAt - 1_000_000_000L) / 1e9,
                        writers.exceptions.get(), writers.failed.get(), report);
                System.out.printf("%s, %s: first write %s after the promotion began, %d exceptions, %s%n", stack.label,
                        fault, Double.isNaN(first) ? "never" : String.format("%.2f s", first), outcome.exceptions(),
                        report.summary());
                return outcome;
            }
        }
    }

    /** A DataSource that is closed with the run. */
    private record AutoCloseableDataSource(DataSource dataSource, AutoCloseable closer) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            closer.close();
        }
    }

    private static AutoCloseableDataSource dataSource(Stack stack, LocalCluster cluster) {
        if (stack == Stack.PGJDBC) {
            HikariDataSource hikari = new HikariDataSource();
            hikari.setJdbcUrl("jdbc:postgresql://" + cluster.hosts() + "/" + cluster.database() + "?targetServerType=primary");
            hikari.setUsername(cluster.user());
            hikari.setPassword(cluster.password());
            hikari.setMaximumPoolSize(8);
            return new AutoCloseableDataSource(hikari, hikari);
        }
        PghaPoolDataSource pgha = new PghaPoolDataSource();
        pgha.setJdbcUrl("jdbc:pgha://" + cluster.hosts() + "/" + cluster.database());
        pgha.setUsername(cluster.user());
        pgha.setPassword(cluster.password());
        pgha.setMaximumPoolSize(8);
        return new AutoCloseableDataSource(pgha, pgha);
    }

    /** Writer threads: one-row transactions, each retried up to twice with the same row. */
    private static final class Writers implements AutoCloseable {
        final AtomicLong exceptions = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        private final DataSource ds;
        private final Ledger ledger;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final ConcurrentLinkedQueue<Long> acks = new ConcurrentLinkedQueue<>();
        private final ExecutorService threads = Executors.newFixedThreadPool(WRITERS);

        Writers(DataSource ds, Ledger ledger) {
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
                    acks.add(System.nanoTime());
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
                long first = acks.stream().filter(a -> a >= nanos).mapToLong(Long::longValue).min().orElse(-1);
                if (first >= 0) {
                    return first;
                }
                Thread.sleep(5);
            }
            return -1;
        }

        /** The longest time without an acknowledged write, from {@code from} to the last one. */
        long longestGapAfter(long from) {
            long[] sorted = acks.stream().mapToLong(Long::longValue).filter(a -> a >= from).sorted().toArray();
            long previous = from;
            long gap = 0;
            for (long ack : sorted) {
                gap = Math.max(gap, ack - previous);
                previous = ack;
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
}
