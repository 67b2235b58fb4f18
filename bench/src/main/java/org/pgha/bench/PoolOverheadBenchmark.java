package org.pgha.bench;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.pgha.pool.PghaPoolDataSource;
import org.pgha.testkit.LocalCluster;

/**
 * What the pool adds to each borrow: a raw {@code HikariDataSource} with a
 * {@code jdbc:postgresql://} URL to the primary against {@code PghaPoolDataSource} over the
 * whole cluster, on the same local cluster (a primary and a synchronous standby), each
 * operation borrowing a connection, running one statement on the primary and giving the
 * connection back. Run with {@code -t 1} and {@code -t 4}; see docs/benchmarks.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(2)
@Warmup(iterations = 8, time = 2)
@Measurement(iterations = 5, time = 2)
public class PoolOverheadBenchmark {

    static final int ACCOUNTS = 10_000;

    @Param({"hikari", "pgha"})
    public String pool;

    LocalCluster cluster;
    DataSource dataSource;
    final AtomicLong ids = new AtomicLong();

    @Setup(Level.Trial)
    public void start() throws SQLException {
        cluster = LocalCluster.builder().standbys(1).start();
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE account (id int PRIMARY KEY, balance bigint NOT NULL)");
            s.execute("INSERT INTO account SELECT g, 0 FROM generate_series(1, " + ACCOUNTS + ") g");
            s.execute("CREATE TABLE event (id bigint PRIMARY KEY, note text NOT NULL)");
            s.execute("VACUUM ANALYZE account");
        }
        if (pool.equals("hikari")) {
            HikariDataSource ds = new HikariDataSource();
            ds.setJdbcUrl(cluster.jdbcUrl(cluster.primary()));
            configure(ds);
            dataSource = ds;
        } else {
            PghaPoolDataSource ds = new PghaPoolDataSource();
            ds.setJdbcUrl("jdbc:pgha://" + cluster.hosts() + "/" + cluster.database());
            configure(ds);
            dataSource = ds;
        }
    }

    private void configure(com.zaxxer.hikari.HikariConfig config) {
        config.setUsername(cluster.user());
        config.setPassword(cluster.password());
        config.setMaximumPoolSize(8);
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        ((AutoCloseable) dataSource).close();
        cluster.close();
    }

    @Benchmark
    public long pointSelect() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT balance FROM account WHERE id = ?")) {
            ps.setInt(1, 1 + ThreadLocalRandom.current().nextInt(ACCOUNTS));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Benchmark
    public int insert() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO event VALUES (?, 'lab result posted')")) {
            ps.setLong(1, ids.incrementAndGet());
            return ps.executeUpdate();
        }
    }
}
