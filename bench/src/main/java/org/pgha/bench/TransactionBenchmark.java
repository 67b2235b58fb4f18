package org.pgha.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
import org.pgha.testkit.LocalCluster;

/**
 * What a read-write transaction costs through pgha: a point SELECT, an UPDATE of the row
 * read, and COMMIT, on one connection held by the benchmark thread, against the same local
 * cluster (a primary with a synchronous standby) in one run:
 *
 * <ul>
 *   <li>{@code pgjdbc}: a plain pgjdbc connection to the primary, the reference;</li>
 *   <li>{@code pgha}: pgha with its defaults (transaction replay on, commit-outcome
 *       resolution, which reads the transaction id before COMMIT: one more round trip);</li>
 *   <li>{@code pgha-noreplay}: the same with {@code transactionReplay=false}, so the difference
 *       to {@code pgha} is what the journal costs.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class TransactionBenchmark {

    static final int ACCOUNTS = 10_000;

    @Param({"pgjdbc", "pgha", "pgha-noreplay"})
    public String client;

    LocalCluster cluster;

    @Setup(Level.Trial)
    public void startCluster() throws SQLException {
        cluster = LocalCluster.builder().standbys(1).start();
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE account (id int PRIMARY KEY, balance bigint NOT NULL)");
            s.execute("INSERT INTO account SELECT g, 0 FROM generate_series(1, " + ACCOUNTS + ") g");
            s.execute("VACUUM ANALYZE account");
        }
    }

    @TearDown(Level.Trial)
    public void stopCluster() {
        cluster.close();
    }

    /** One connection per benchmark thread. */
    @State(Scope.Thread)
    public static class Session {
        Connection connection;
        PreparedStatement select;
        PreparedStatement update;

        @Setup(Level.Trial)
        public void open(TransactionBenchmark benchmark) throws SQLException {
            LocalCluster cluster = benchmark.cluster;
            Properties props = new Properties();
            props.setProperty("user", cluster.user());
            props.setProperty("password", cluster.password());
            String url = switch (benchmark.client) {
                case "pgjdbc" -> cluster.jdbcUrl(cluster.primary());
                case "pgha" -> "jdbc:pgha://" + cluster.hosts() + "/" + cluster.database();
                case "pgha-noreplay" -> "jdbc:pgha://" + cluster.hosts() + "/" + cluster.database() + "?transactionReplay=false";
                default -> throw new IllegalArgumentException(benchmark.client);
            };
            connection = DriverManager.getConnection(url, props);
            connection.setAutoCommit(false);
            select = connection.prepareStatement("SELECT balance FROM account WHERE id = ?");
            update = connection.prepareStatement("UPDATE account SET balance = ? WHERE id = ?");
        }

        @TearDown(Level.Trial)
        public void close() throws SQLException {
            connection.close();
        }
    }

    @Benchmark
    public long selectUpdateCommit(Session session) throws SQLException {
        int id = 1 + ThreadLocalRandom.current().nextInt(ACCOUNTS);
        session.select.setInt(1, id);
        long balance;
        try (ResultSet rs = session.select.executeQuery()) {
            rs.next();
            balance = rs.getLong(1);
        }
        session.update.setLong(1, balance + 1);
        session.update.setInt(2, id);
        session.update.executeUpdate();
        session.connection.commit();
        return balance;
    }
}
