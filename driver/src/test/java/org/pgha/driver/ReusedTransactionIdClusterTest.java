package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.FaultProxy;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * A promoted standby that never received a transaction's records hands the transaction's id
 * to one of its own, and {@code pg_xact_status} then says "committed". pgha must not take
 * that for the lost commit: the new primary's recovery ended before the transaction's
 * records, so the transaction cannot have committed there.
 */
@LocalClusterTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReusedTransactionIdClusterTest {

    @Test
    void aCommittedReusedIdOnTheNewPrimaryIsNotMistakenForTheLostCommit(LocalCluster cluster) throws Exception {
        Node primary = cluster.primary();
        Node sync = cluster.synchronousStandby().orElseThrow();
        Node async = cluster.standbys().stream().filter(n -> n != sync).findFirst().orElseThrow();
        try (Connection c = cluster.connect(primary); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE reused (id bigint)");
        }
        cluster.awaitReplication(java.time.Duration.ofSeconds(30));
        // The sync standby is reached through a proxy, so that it can be kept from pgha while
        // the test makes it reuse the transaction's id.
        try (FaultProxy toSync = FaultProxy.start(sync.host(), sync.port())) {
            PghaDataSource ds = new PghaDataSource();
            ds.setUrl("jdbc:pgha://" + primary.hostAndPort() + "," + toSync.host() + ":" + toSync.port() + ","
                    + async.hostAndPort() + "/" + cluster.database() + "?probeInterval=100ms"
                    // Without replay, what the application sees is the commit's resolution alone.
                    + "&transactionReplay=false");
            ds.setUser(cluster.user());
            ds.setPassword(cluster.password());
            try (ds; Connection c = ds.getConnection()) {
                // The synchronous standby stops before the transaction writes: it never gets
                // its records, and its COMMIT waits for it.
                cluster.stop(sync);
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO reused VALUES (1)")) {
                    ps.executeUpdate();
                }
                long xid;
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_xact_id()::text::bigint")) {
                    rs.next();
                    xid = rs.getLong(1);
                }
                CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> {
                    try {
                        c.commit();
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                // The commit record is written; the COMMIT waits for the synchronous standby.
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                        .until(() -> cluster.commitsAwaitingStandby(primary) > 0);
                assertThat(commit).isNotDone();
                cluster.crash(primary);

                toSync.refuse();
                cluster.start(sync);
                cluster.promote(sync);
                // The new primary hands out ids up to and past the lost transaction's, and commits them.
                try (Connection direct = cluster.connect(sync); Statement s = direct.createStatement()) {
                    long assigned = 0;
                    while (assigned <= xid) {
                        try (ResultSet rs = s.executeQuery("SELECT pg_current_xact_id()::text::bigint")) {
                            rs.next();
                            assigned = rs.getLong(1);
                        }
                    }
                    try (ResultSet rs = s.executeQuery("SELECT pg_xact_status('" + xid + "'::xid8)")) {
                        rs.next();
                        assertThat(rs.getString(1)).as("the id, reused").isEqualTo("committed");
                    }
                }
                toSync.pass();

                try {
                    commit.get(60, TimeUnit.SECONDS);
                    throw new AssertionError("the lost commit was reported committed");
                } catch (ExecutionException e) {
                    assertThat(e.getCause().getCause()).isInstanceOf(TransactionRolledBackException.class);
                }
            }
            try (Connection c = cluster.connect(sync); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM reused")) {
                rs.next();
                assertThat(rs.getLong(1)).isZero();
            }
        }
    }
}
