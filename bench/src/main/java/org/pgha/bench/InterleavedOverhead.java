package org.pgha.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.pgha.pool.PghaPoolDataSource;
import org.pgha.testkit.LocalCluster;

/**
 * The pool overhead measured as a ratio, with less noise than separate JMH forks allow on a
 * small machine: one cluster, a raw {@code HikariDataSource} and a {@code PghaPoolDataSource}
 * side by side, measured in alternating one-second windows (A B, B A, ...), so that both see
 * the same machine at nearly the same moment. Each pair of windows gives one ratio; the result
 * is their mean with a 95% interval. It complements {@link PoolOverheadBenchmark} (JMH), which
 * measures each pool on a cluster of its own.
 *
 * <p>The workloads: {@code select}, a point SELECT by key; {@code insert}, an autocommit INSERT;
 * {@code transaction}, a read-write transaction as {@code @Transactional} code runs it (autocommit
 * off, a SELECT by key, an UPDATE of the row, COMMIT, autocommit back on), with pgha's
 * commit-outcome resolution; {@code exactly-once}, the autocommit INSERT with pgha's
 * {@code exactlyOnceAutocommit=true} against HikariCP's plain one.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar org.pgha.bench.InterleavedOverhead [threads] [select|insert|transaction|exactly-once] [pairs]
 * </pre>
 */
public final class InterleavedOverhead {

    private static final int ACCOUNTS = 10_000;
    private static final long WINDOW_MILLIS = 1_000;

    private InterleavedOverhead() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        String workload = args.length > 1 ? args[1] : "select";
        int pairs = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        try (LocalCluster cluster = LocalCluster.builder().standbys(1).start()) {
            try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE account (id int PRIMARY KEY, balance bigint NOT NULL)");
                s.execute("INSERT INTO account SELECT g, 0 FROM generate_series(1, " + ACCOUNTS + ") g");
                s.execute("CREATE TABLE event (id bigint PRIMARY KEY, note text NOT NULL)");
                s.execute("VACUUM ANALYZE account");
            }
            HikariDataSource hikari = new HikariDataSource();
            hikari.setJdbcUrl(cluster.jdbcUrl(cluster.primary()));
            configure(hikari, cluster);
            PghaPoolDataSource pgha = new PghaPoolDataSource();
            pgha.setJdbcUrl("jdbc:pgha://" + cluster.hosts() + "/" + cluster.database()
                    + (workload.equals("exactly-once") ? "?exactlyOnceAutocommit=true" : ""));
            configure(pgha, cluster);
            try (hikari; pgha) {
                Operation operation = switch (workload) {
                    case "select" -> InterleavedOverhead::pointSelect;
                    case "insert", "exactly-once" -> new Insert();
                    case "transaction" -> InterleavedOverhead::transaction;
                    default -> throw new IllegalArgumentException("unknown workload " + workload
                            + ": select, insert, transaction or exactly-once");
                };
                for (int i = 0; i < 10; i++) { // warm-up, both alike
                    measure(hikari, operation, threads);
                    measure(pgha, operation, threads);
                }
                double[] ratios = new double[pairs];
                double hikariSum = 0;
                double pghaSum = 0;
                for (int i = 0; i < pairs; i++) {
                    boolean hikariFirst = i % 2 == 0;
                    double first = measure(hikariFirst ? hikari : pgha, operation, threads);
                    double second = measure(hikariFirst ? pgha : hikari, operation, threads);
                    double h = hikariFirst ? first : second;
                    double p = hikariFirst ? second : first;
                    hikariSum += h;
                    pghaSum += p;
                    ratios[i] = p / h;
                }
                double mean = 0;
                for (double r : ratios) {
                    mean += r / pairs;
                }
                double variance = 0;
                for (double r : ratios) {
                    variance += (r - mean) * (r - mean) / (pairs - 1);
                }
                double half = 1.96 * Math.sqrt(variance / pairs);
                System.out.printf("%s, %d threads, %d pairs: HikariCP %.0f ops/s, pgha %.0f ops/s;"
                                + " pgha / HikariCP = %.3f ± %.3f (95%%)%n", workload, threads,
                        pairs, hikariSum / pairs, pghaSum / pairs, mean, half);
            }
        }
    }

    private static void configure(HikariConfig config, LocalCluster cluster) {
        config.setUsername(cluster.user());
        config.setPassword(cluster.password());
        config.setMaximumPoolSize(8);
    }

    /** One borrow, one statement, one return. */
    @FunctionalInterface
    private interface Operation {
        void run(DataSource ds) throws SQLException;
    }

    private static void pointSelect(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT balance FROM account WHERE id = ?")) {
            ps.setInt(1, 1 + ThreadLocalRandom.current().nextInt(ACCOUNTS));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
            }
        }
    }

    /** A read-write transaction as Spring's transaction manager runs it on a borrowed connection. */
    private static void transaction(DataSource ds) throws SQLException {
        int id = 1 + ThreadLocalRandom.current().nextInt(ACCOUNTS);
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            long balance;
            try (PreparedStatement ps = c.prepareStatement("SELECT balance FROM account WHERE id = ?")) {
                ps.setInt(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    balance = rs.getLong(1);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE account SET balance = ? WHERE id = ?")) {
                ps.setLong(1, balance + 1);
                ps.setInt(2, id);
                ps.executeUpdate();
            }
            c.commit();
            c.setAutoCommit(true);
        }
    }

    private static final class Insert implements Operation {
        private final AtomicLong ids = new AtomicLong();

        @Override
        public void run(DataSource ds) throws SQLException {
            try (Connection c = ds.getConnection();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO event VALUES (?, 'lab result posted')")) {
                ps.setLong(1, ids.incrementAndGet());
                ps.executeUpdate();
            }
        }
    }

    /** Operations per second of {@code threads} threads during one window. */
    private static double measure(DataSource ds, Operation operation, int threads) throws Exception {
        AtomicLong done = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            tasks.add(pool.submit(() -> {
                while (running.get()) {
                    operation.run(ds);
                    done.incrementAndGet();
                }
                return null;
            }));
        }
        long started = System.nanoTime();
        Thread.sleep(WINDOW_MILLIS);
        long counted = done.get();
        long elapsed = System.nanoTime() - started;
        running.set(false);
        for (Future<?> task : tasks) {
            task.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        return counted * 1e9 / elapsed;
    }
}
