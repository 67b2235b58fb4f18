package org.pgha.pool;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.Ledger;
import org.pgha.testkit.LedgerReport;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * A crash, a hang and a planned switchover under concurrent load through the pool, and a
 * crash through a plain HikariDataSource whose URL is {@code jdbc:pgha:} (driver mode). Every
 * operation borrows a connection and gives it back, as an application does. The ledger shows
 * nothing lost or doubled; nobody sees an error (exactly-once autocommit writes, transaction
 * replay); no operation waits past the configured timeouts.
 */
@LocalClusterTest
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PoolFailoverClusterTest {

    private static final String PARAMETERS = "probeInterval=200ms&failoverTimeout=30s&exactlyOnceAutocommit=true";

    @Test
    void aCrashAHangAndASwitchoverThroughThePool(LocalCluster cluster) throws Exception {
        try (PghaPoolDataSource ds = PoolClusterTest.pool(cluster, PARAMETERS)) {
            ds.setMaximumPoolSize(6);
            ds.setConnectionTimeout(30_000);
            try (Load load = new Load(cluster, ds, "pool_ledger")) {
                failOver(cluster, load, cluster::crash);
                failOver(cluster, load, old -> {
                    cluster.freeze(old);
                    sleep(2_000);
                    cluster.crash(old); // fenced before it rejoins
                });
                failOver(cluster, load, cluster::stop);
                load.stopAndCheck();
            }
        }
    }

    @Test
    void aCrashThroughAPlainHikariDataSourceWithAPghaUrl(LocalCluster cluster) throws Exception {
        try (HikariDataSource ds = new HikariDataSource()) {
            ds.setJdbcUrl("jdbc:pgha://" + cluster.hosts() + "/" + cluster.database() + "?" + PARAMETERS);
            ds.setUsername(cluster.user());
            ds.setPassword(cluster.password());
            ds.setMaximumPoolSize(6);
            try (Load load = new Load(cluster, ds, "driver_mode_ledger")) {
                failOver(cluster, load, cluster::crash);
                load.stopAndCheck();
            }
        }
    }

    private static void failOver(LocalCluster cluster, Load load, Consumer<Node> fault) throws Exception {
        load.awaitProgress();
        Node old = cluster.primary();
        Node sync = cluster.synchronousStandby().orElseThrow();
        fault.accept(old);
        cluster.failOver(sync);
        load.awaitProgress();
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

    /** Autocommit writers, transactional writers and readers, each borrowing for every operation. */
    private static final class Load implements AutoCloseable {
        private final LocalCluster cluster;
        private final DataSource ds;
        private final Ledger ledger;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong writes = new AtomicLong();
        private final AtomicLong reads = new AtomicLong();
        private final AtomicLong slowest = new AtomicLong();
        private final List<Throwable> errors = new CopyOnWriteArrayList<>();
        private final ExecutorService threads = Executors.newFixedThreadPool(5);
        private final List<Future<?>> tasks = new ArrayList<>();

        Load(LocalCluster cluster, DataSource ds, String table) throws SQLException {
            this.cluster = cluster;
            this.ds = ds;
            this.ledger = new Ledger(table);
            try (Connection c = cluster.connect(cluster.primary())) {
                ledger.createTable(c);
            }
            tasks.add(threads.submit(() -> loop(this::autocommitWrite)));
            tasks.add(threads.submit(() -> loop(this::transaction)));
            tasks.add(threads.submit(() -> loop(this::transaction)));
            tasks.add(threads.submit(() -> loop(this::read)));
            tasks.add(threads.submit(() -> loop(this::read)));
        }

        @FunctionalInterface
        private interface Operation {
            void run() throws SQLException;
        }

        private Void loop(Operation operation) {
            while (running.get()) {
                long started = System.nanoTime();
                try {
                    operation.run();
                } catch (Throwable t) {
                    errors.add(t);
                    return null;
                }
                slowest.accumulateAndGet(System.nanoTime() - started, Math::max);
            }
            return null;
        }

        private void autocommitWrite() throws SQLException {
            long id = ledger.newId();
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(ledger.insertSql())) {
                ps.setLong(1, id);
                ps.setString(2, "autocommit");
                ps.executeUpdate();
            }
            ledger.acknowledged(id);
            writes.incrementAndGet();
        }

        private void transaction() throws SQLException {
            long first = ledger.newId();
            long second = ledger.newId();
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement(ledger.insertSql())) {
                    for (long id : new long[] {first, second}) {
                        ps.setLong(1, id);
                        ps.setString(2, "transaction");
                        ps.executeUpdate();
                    }
                }
                c.commit();
            }
            ledger.acknowledged(first);
            ledger.acknowledged(second);
            writes.addAndGet(2);
        }

        private void read() throws SQLException {
            try (Connection c = ds.getConnection()) {
                c.setReadOnly(true);
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + ledger.table())) {
                    rs.next();
                }
            }
            reads.incrementAndGet();
        }

        void awaitProgress() throws InterruptedException {
            long w = writes.get();
            long r = reads.get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (writes.get() < w + 50 || reads.get() < r + 50) {
                assertThat(errors).as("errors the application saw").isEmpty();
                assertThat(System.nanoTime()).as("progress within 60 s").isLessThan(deadline);
                Thread.sleep(20);
            }
        }

        void stopAndCheck() throws Exception {
            running.set(false);
            for (Future<?> task : tasks) {
                task.get(60, TimeUnit.SECONDS);
            }
            assertThat(errors).as("errors the application saw").isEmpty();
            // Nobody waited past the failover timeout (30 s) for a connection or a statement.
            assertThat(Duration.ofNanos(slowest.get())).isLessThan(Duration.ofSeconds(30));
            cluster.awaitReplication(Duration.ofSeconds(30));
            try (Connection c = cluster.connect(cluster.primary())) {
                LedgerReport report = ledger.verify(c);
                assertThat(report.isClean()).as(report.summary()).isTrue();
                assertThat(report.acknowledged()).isGreaterThan(200);
            }
        }

        @Override
        public void close() {
            running.set(false);
            threads.shutdownNow();
        }
    }
}
