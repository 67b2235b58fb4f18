package org.pgha.pool;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.Ledger;
import org.pgha.testkit.LedgerReport;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;
import org.pgha.testkit.Workload;

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
            Ledger ledger = ledger(cluster, "pool_ledger");
            try (Workload load = load(ds, ledger)) {
                failOver(cluster, load, cluster::crash);
                failOver(cluster, load, old -> {
                    cluster.freeze(old);
                    sleep(2_000);
                    cluster.crash(old); // fenced before it rejoins
                });
                failOver(cluster, load, cluster::stop);
                stopAndCheck(cluster, load, ledger);
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
            Ledger ledger = ledger(cluster, "driver_mode_ledger");
            try (Workload load = load(ds, ledger)) {
                failOver(cluster, load, cluster::crash);
                stopAndCheck(cluster, load, ledger);
            }
        }
    }

    private static void failOver(LocalCluster cluster, Workload load, Consumer<Node> fault) throws Exception {
        load.awaitProgress(50, PROGRESS);
        Node old = cluster.primary();
        Node sync = cluster.synchronousStandby().orElseThrow();
        fault.accept(old);
        cluster.failOver(sync);
        load.awaitProgress(50, PROGRESS);
        cluster.rejoin(old);
        load.awaitProgress(50, PROGRESS);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static final Duration PROGRESS = Duration.ofSeconds(60);

    private static Ledger ledger(LocalCluster cluster, String table) throws SQLException {
        Ledger ledger = new Ledger(table);
        try (Connection c = cluster.connect(cluster.primary())) {
            ledger.createTable(c);
        }
        return ledger;
    }

    /** Autocommit writers, transactional writers and readers, each borrowing for every operation. */
    private static Workload load(DataSource ds, Ledger ledger) {
        return Workload.builder()
                .operation("autocommit write", 1, () -> {
                    long id = ledger.newId();
                    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(ledger.insertSql())) {
                        ps.setLong(1, id);
                        ps.setString(2, "autocommit");
                        ps.executeUpdate();
                    }
                    ledger.acknowledged(id);
                })
                .operation("transaction", 2, () -> {
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
                })
                .operation("read", 2, () -> {
                    try (Connection c = ds.getConnection()) {
                        c.setReadOnly(true);
                        try (Statement s = c.createStatement();
                             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + ledger.table())) {
                            rs.next();
                        }
                    }
                })
                .start();
    }

    private static void stopAndCheck(LocalCluster cluster, Workload load, Ledger ledger) throws Exception {
        load.stop(PROGRESS);
        assertThat(load.errors()).as("errors the application saw").isEmpty();
        // Nobody waited past the failover timeout (30 s) for a connection or a statement.
        assertThat(load.slowest()).isLessThan(Duration.ofSeconds(30));
        cluster.awaitReplication(Duration.ofSeconds(30));
        try (Connection c = cluster.connect(cluster.primary())) {
            LedgerReport report = ledger.verify(c);
            assertThat(report.isClean()).as(report.summary()).isTrue();
            assertThat(report.acknowledged()).isGreaterThan(200);
        }
    }
}
