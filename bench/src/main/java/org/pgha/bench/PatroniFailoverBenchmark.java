package org.pgha.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.pgha.bench.FailoverBenchmark.AutoCloseableDataSource;
import org.pgha.bench.FailoverBenchmark.Readers;
import org.pgha.bench.FailoverBenchmark.Writers;
import org.pgha.testkit.Ledger;
import org.pgha.testkit.LedgerReport;
import org.pgha.testkit.PatroniCluster;
import org.pgha.testkit.StalenessChecker;
import org.pgha.testkit.StalenessReport;

/**
 * {@link FailoverBenchmark}'s workload (four writers with two retries, an updater, two readers)
 * on a real Patroni + etcd cluster of three members ({@code synchronous_mode} and
 * {@code synchronous_mode_strict}, unless the second argument is {@code non-strict}; ttl 20 s,
 * loop_wait 1 s), through three stacks: pgjdbc's multi-host URL with HikariCP (reads through a
 * second pool with {@code targetServerType=preferSecondary}), Debian's HAProxy with Patroni's
 * documented health checks (write port {@code /primary}, read port {@code /replica}, inter 3s
 * fall 3 rise 2), and pgha's pool with {@code patroni=} naming the REST API. Faults: the leader's
 * machine lost ({@code SIGKILL} of its Patroni and PostgreSQL; Patroni promotes once the lease
 * expires) and a {@code patronictl switchover}.
 *
 * <p>The floor is the moment a direct connection first commits a write on a member other than
 * the old leader ({@code SELECT txid_current()}, polled every 10 ms; with strict mode its
 * commit waits for a synchronous standby, as every application's does): no client can write
 * before it. Measured: the
 * first write after the floor, the longest time without a write, the exceptions the
 * application saw, lost and doubled rows, and the read side as in {@link FailoverBenchmark}.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar org.pgha.bench.PatroniFailoverBenchmark [rounds [non-strict]]
 * </pre>
 * Needs {@code patroni}, {@code etcd} and {@code haproxy} installed (Debian: {@code patroni
 * etcd-server etcd-client haproxy}).
 */
public final class PatroniFailoverBenchmark {

    private static final Duration WARM_UP = Duration.ofSeconds(3);
    private static final Duration GIVE_UP = Duration.ofSeconds(60);
    private static final Duration AFTER = Duration.ofSeconds(5);
    private static final Duration READ_BOUND = Duration.ofSeconds(2);

    enum Stack {
        PGJDBC("pgjdbc multi-host + HikariCP"), HAPROXY("HAProxy (Patroni checks) + HikariCP"),
        PGHA("pgha PghaPoolDataSource");

        final String label;

        Stack(String label) {
            this.label = label;
        }
    }

    enum Fault { LEADER_KILL, SWITCHOVER }

    record Outcome(Stack stack, Fault fault, double floorSeconds, double firstWriteAfterFloor, double longestGapSeconds,
                   long exceptions, long failedAfterRetries, LedgerReport ledger, double longestReadGapSeconds,
                   long readExceptions, StalenessReport staleness) {
    }

    private PatroniFailoverBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (!PatroniCluster.isAvailable() || !Haproxy.isAvailable()) {
            throw new IllegalStateException("needs patroni, patronictl, etcd, etcdctl and haproxy"
                    + " (Debian: apt-get install patroni etcd-server etcd-client haproxy)");
        }
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        boolean strict = args.length <= 1 || !args[1].equals("non-strict");
        List<Outcome> outcomes = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (Fault fault : Fault.values()) {
                for (Stack stack : Stack.values()) {
                    outcomes.add(run(stack, fault, strict));
                }
            }
        }
        System.out.println();
        System.out.printf("%-36s %-11s %8s %22s %16s %11s %7s %5s %8s %15s %11s %16s %15s%n", "stack", "fault",
                "floor", "first write after floor", "longest no-write", "exceptions", "failed", "lost", "doubled",
                "longest no-read", "read errors", "reads staler 2s", "worst staleness");
        for (Outcome o : outcomes) {
            System.out.printf("%-36s %-11s %6.2f s %22s %14.2f s %11d %7d %5d %8d %13.2f s %11d %16d %13.2f s%n",
                    o.stack().label, o.fault(), o.floorSeconds(), Double.isNaN(o.firstWriteAfterFloor())
                            ? "none in " + GIVE_UP.toSeconds() + " s" : String.format("%+.2f s", o.firstWriteAfterFloor()),
                    o.longestGapSeconds(), o.exceptions(), o.failedAfterRetries(), o.ledger().lost().size(),
                    o.ledger().duplicated().size(), o.longestReadGapSeconds(), o.readExceptions(),
                    o.staleness().staleReads().size(), o.staleness().maxStaleness().toMillis() / 1e3);
        }
    }

    static Outcome run(Stack stack, Fault fault, boolean strict) throws Exception {
        try (PatroniCluster cluster = PatroniCluster.builder().members(3).synchronousMode(true, strict).start()) {
            Ledger ledger = new Ledger("bench_ledger");
            PatroniCluster.Member old = cluster.leader();
            try (Connection c = cluster.connect(old); Statement s = c.createStatement()) {
                ledger.createTable(c);
                s.execute("CREATE TABLE versions (key bigint PRIMARY KEY, seq bigint NOT NULL)");
                s.execute("INSERT INTO versions SELECT g, 0 FROM generate_series(0, 7) g");
            }
            Haproxy haproxy = stack == Stack.HAPROXY ? Haproxy.start(cluster) : null;
            StalenessChecker checker = new StalenessChecker();
            try (AutoCloseableDataSource ds = dataSource(stack, cluster, haproxy, false);
                 AutoCloseableDataSource reads = stack == Stack.PGHA ? ds : dataSource(stack, cluster, haproxy, true);
                 Writers writers = new Writers(ds.dataSource(), ledger);
                 Readers readers = new Readers(ds.dataSource(), reads.dataSource(), checker);
                 Floor floor = new Floor(cluster, old)) {
                Thread.sleep(WARM_UP.toMillis());
                floor.arm();
                long faultAt = System.nanoTime();
                if (fault == Fault.LEADER_KILL) {
                    cluster.kill(old);
                } else {
                    cluster.switchover(cluster.synchronousStandby().orElseThrow());
                }
                long floorAt = floor.await(GIVE_UP);
                long firstWrite = floorAt < 0 ? -1 : writers.awaitWriteAfter(floorAt, GIVE_UP);
                Thread.sleep(AFTER.toMillis());
                writers.stop();
                readers.stop();
                LedgerReport report;
                try (Connection c = cluster.connect(cluster.leader())) {
                    report = ledger.verify(c);
                }
                double floorSeconds = floorAt < 0 ? Double.NaN : (floorAt - faultAt) / 1e9;
                double first = firstWrite < 0 ? Double.NaN : (firstWrite - floorAt) / 1e9;
                StalenessReport staleness = checker.report(READ_BOUND);
                Outcome outcome = new Outcome(stack, fault, floorSeconds, first,
                        writers.longestGapAfter(faultAt - 1_000_000_000L) / 1e9, writers.exceptions.get(),
                        writers.failed.get(), report, readers.longestGapAfter(faultAt - 1_000_000_000L) / 1e9,
                        readers.exceptions.get(), staleness);
                System.out.printf("%s, %s: floor %.2f s after the fault, first write %s after it, %d exceptions, %s;"
                        + " longest no-read %.2f s, %d read errors, %s%n", stack.label, fault, floorSeconds,
                        Double.isNaN(first) ? "never" : String.format("%+.2f s", first), outcome.exceptions(),
                        report.summary(), outcome.longestReadGapSeconds(), outcome.readExceptions(), staleness.summary());
                return outcome;
            } finally {
                if (haproxy != null) {
                    haproxy.close();
                }
            }
        }
    }

    private static AutoCloseableDataSource dataSource(Stack stack, PatroniCluster cluster, Haproxy haproxy,
            boolean forReads) {
        return switch (stack) {
            case PGHA -> FailoverBenchmark.pgha("jdbc:pgha://" + cluster.hosts() + "/" + cluster.database() + "?patroni="
                    + cluster.restUrls(), cluster.user(), cluster.password());
            case HAPROXY -> FailoverBenchmark.hikari("jdbc:postgresql://" + (forReads ? haproxy.reads() : haproxy.writes())
                    + "/" + cluster.database(), cluster.user(), cluster.password());
            case PGJDBC -> FailoverBenchmark.hikari(FailoverBenchmark.pgjdbcUrl(cluster.hosts(), cluster.database(), forReads),
                    cluster.user(), cluster.password());
        };
    }

    /** Polls every member but the old leader directly, every 10 ms, for the first one that commits a write. */
    private static final class Floor implements AutoCloseable {
        private final AtomicLong at = new AtomicLong(-1);
        private final AtomicBoolean armed = new AtomicBoolean(false);
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Floor(PatroniCluster cluster, PatroniCluster.Member old) {
            List<PatroniCluster.Member> others = cluster.members().stream().filter(m -> !m.equals(old)).toList();
            thread = new Thread(() -> {
                while (running.get() && at.get() < 0) {
                    for (PatroniCluster.Member m : others) {
                        if (armed.get() && primary(cluster, m)) {
                            at.compareAndSet(-1, System.nanoTime());
                        }
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "floor");
            thread.setDaemon(true);
            thread.start();
        }

        private static boolean primary(PatroniCluster cluster, PatroniCluster.Member m) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + m.hostAndPort() + "/" + cluster.database()
                    + "?connectTimeout=1&socketTimeout=1", cluster.user(), cluster.password());
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT txid_current()")) {
                // An id is given out only by a primary, and its commit waits for the synchronous
                // standby: this succeeds once a direct client could have written.
                return rs.next();
            } catch (SQLException e) {
                return false;
            }
        }

        /** Starts looking: from now on the first member found out of recovery is the floor. */
        void arm() {
            armed.set(true);
        }

        /** The floor's time (System.nanoTime), or -1 if none within {@code limit}. */
        long await(Duration limit) throws InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            while (at.get() < 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            return at.get();
        }

        @Override
        public void close() {
            running.set(false);
            thread.interrupt();
        }
    }
}
