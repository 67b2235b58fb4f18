package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * A transaction loses its primary before its COMMIT: it is replayed on the new primary and
 * goes on when everything the application read is the same there, and is rolled back with
 * 40R01 otherwise. Each test crashes the primary for real and promotes the synchronous
 * standby; the old primary rejoins afterwards.
 */
@LocalClusterTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReplayClusterTest {

    private Node crashed;

    @BeforeEach
    void tables(LocalCluster cluster) throws SQLException {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS account (id int PRIMARY KEY, balance int NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS entry (account int NOT NULL, amount int NOT NULL)");
            s.execute("TRUNCATE account, entry");
            s.execute("INSERT INTO account SELECT g, 100 FROM generate_series(1, 5) g");
        }
    }

    @AfterEach
    void rejoin(LocalCluster cluster) {
        if (crashed != null) {
            cluster.rejoin(crashed);
            crashed = null;
        }
    }

    @Test
    void aTransactionThatReadAndWroteGoesOnOnTheNewPrimary(LocalCluster cluster) throws SQLException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms")) {
            ds.setMetricRegistry(registry);
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                int balance = balance(c, 1);
                update(c, 1, balance - 10);
                crashThePrimary(cluster);
                insertEntry(c, 1, -10);
                c.commit();
            }
        }
        assertThat(committedBalance(cluster, 1)).isEqualTo(90);
        assertThat(committedEntries(cluster, 1)).isEqualTo(1);
        assertThat(registry.get("pgha.transaction.replays").tag("result", "replayed").counter().count()).isEqualTo(1);
    }

    @Test
    void aTransactionWhoseReadsChangedMeanwhileIsRolledBack(LocalCluster cluster) throws SQLException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms")) {
            ds.setMetricRegistry(registry);
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                int balance = balance(c, 2);
                update(c, 2, balance - 10);
                crashThePrimary(cluster);
                // Before the transaction goes on, another client changes the balance it read.
                try (Connection other = cluster.connect(cluster.primary()); Statement s = other.createStatement()) {
                    s.execute("UPDATE account SET balance = 50 WHERE id = 2");
                }
                assertThatThrownBy(() -> insertEntry(c, 2, -10)).isInstanceOf(TransactionRolledBackException.class)
                        .hasMessageContaining("did not give what the application had read")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo(PghaSqlState.TRANSACTION_ROLLED_BACK));
                c.rollback();
                // The connection goes on.
                insertEntry(c, 3, 1);
                c.commit();
            }
        }
        assertThat(committedBalance(cluster, 2)).isEqualTo(50);
        assertThat(committedEntries(cluster, 2)).isZero();
        assertThat(committedEntries(cluster, 3)).isEqualTo(1);
        assertThat(registry.get("pgha.transaction.replays").tag("result", "mismatch").counter().count()).isEqualTo(1);
    }

    @Test
    void anOpenResultSetGoesOnWithTheReplayedRows(LocalCluster cluster) throws SQLException {
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms"); Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id, balance FROM account ORDER BY id")) {
                assertThat(rs.getStatement()).isSameAs(s);
                rs.next();
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(2);
                crashThePrimary(cluster);
                // A row not read yet changes; the rows read stay the same.
                try (Connection other = cluster.connect(cluster.primary()); Statement o = other.createStatement()) {
                    o.execute("UPDATE account SET balance = 7 WHERE id = 4");
                }
                insertEntry(c, 4, 0);
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(3);
                rs.next();
                // Read from the replayed transaction's result, not from the lost one's.
                assertThat(rs.getInt(1)).isEqualTo(4);
                assertThat(rs.getInt(2)).isEqualTo(7);
            }
            c.commit();
        }
        assertThat(committedEntries(cluster, 4)).isEqualTo(1);
    }

    @Test
    void aTransactionLongerThanTheReplayLimitIsRolledBack(LocalCluster cluster) throws SQLException {
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms&transactionReplayLimit=2");
             Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            for (int i = 0; i < 3; i++) {
                insertEntry(c, 5, i);
            }
            crashThePrimary(cluster);
            assertThatThrownBy(() -> insertEntry(c, 5, 3)).isInstanceOf(TransactionRolledBackException.class)
                    .hasMessageContaining("transactionReplayLimit (2)");
        }
        assertThat(committedEntries(cluster, 5)).isZero();
    }

    @Test
    void aTransactionWhoseParametersExceedTheByteBudgetIsRolledBack(LocalCluster cluster) throws SQLException {
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms&transactionReplayMaxBytes=65536");
             Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("SELECT length(?)")) {
                for (int i = 0; i < 2; i++) {
                    // 40 KB each: the second goes over the budget, and the transaction stops recording.
                    ps.setBytes(1, new byte[40_000]);
                    ps.executeQuery().close();
                }
            }
            insertEntry(c, 4, 7);
            crashThePrimary(cluster);
            assertThatThrownBy(() -> insertEntry(c, 4, 8)).isInstanceOf(TransactionRolledBackException.class)
                    .hasMessageContaining("transactionReplayMaxBytes (65536)");
        }
        assertThat(committedEntries(cluster, 4)).isZero();
    }

    @Test
    void withReplayOffALostTransactionIsRolledBack(LocalCluster cluster) throws SQLException {
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms&transactionReplay=false");
             Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            insertEntry(c, 6, 1);
            crashThePrimary(cluster);
            assertThatThrownBy(() -> insertEntry(c, 6, 2)).isInstanceOf(TransactionRolledBackException.class)
                    .hasMessageContaining("transactionReplay is off");
        }
        assertThat(committedEntries(cluster, 6)).isZero();
    }

    /** Crashes the primary, promotes the synchronous standby and re-points the other standby. */
    private void crashThePrimary(LocalCluster cluster) {
        Node old = cluster.primary();
        Node sync = cluster.synchronousStandby().orElseThrow();
        cluster.crash(old);
        crashed = old;
        cluster.failOver(sync);
    }

    private static int balance(Connection c, int account) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT balance FROM account WHERE id = ?")) {
            ps.setInt(1, account);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static void update(Connection c, int account, int balance) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE account SET balance = ? WHERE id = ?")) {
            ps.setInt(1, balance);
            ps.setInt(2, account);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    private static void insertEntry(Connection c, int account, int amount) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO entry VALUES (?, ?)")) {
            ps.setInt(1, account);
            ps.setInt(2, amount);
            ps.executeUpdate();
        }
    }

    private static int committedBalance(LocalCluster cluster, int account) throws SQLException {
        return count(cluster, "SELECT balance FROM account WHERE id = " + account);
    }

    private static int committedEntries(LocalCluster cluster, int account) throws SQLException {
        return count(cluster, "SELECT count(*) FROM entry WHERE account = " + account);
    }

    private static int count(LocalCluster cluster, String sql) throws SQLException {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
