package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * A consistency token asked for while the primary is being lost (found by the marathon: the
 * round trip it makes when the monitor has not sampled the primary since the write let the
 * server's {@code 57P01} through to the application).
 */
@LocalClusterTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConsistencyTokenFailoverClusterTest {

    @Test
    void aTokenAskedForAsThePrimaryDiesWaitsForTheNewPrimaryAndCoversTheWrite(LocalCluster cluster) throws Exception {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE notes (id int PRIMARY KEY, v int NOT NULL)");
            s.execute("INSERT INTO notes VALUES (1, 0)");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
        ExecutorService executor = Executors.newSingleThreadExecutor();
        // Probes 5 s apart: no sample is sent between the write and the crash, so the token
        // needs the round trip to the primary that the crash breaks.
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=5s&maxReplicaLag=20s");
             Connection writer = ds.getConnection()) {
            try (Statement s = writer.createStatement()) {
                assertThat(s.executeUpdate("UPDATE notes SET v = 1 WHERE id = 1")).isEqualTo(1);
            }
            Node old = cluster.primary();
            cluster.crash(old);
            Future<String> token = executor.submit(() -> writer.unwrap(PghaConnection.class).consistencyToken());
            Node promoted = cluster.failOver(cluster.synchronousStandby().orElseThrow());

            String covering = token.get(60, TimeUnit.SECONDS);

            try (Connection reader = ds.getConnection()) {
                reader.unwrap(PghaConnection.class).setConsistencyToken(covering);
                reader.setReadOnly(true);
                try (Statement s = reader.createStatement(); ResultSet rs = s.executeQuery("SELECT v FROM notes WHERE id = 1")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(1);
                }
            }
            // The token is a position of the new history at or after the write's.
            assertThat(Lsn.parse(covering)).isGreaterThan(0);
            try (Statement s = writer.createStatement(); ResultSet rs = s.executeQuery("SELECT inet_server_port()")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(promoted.port());
            }
        } finally {
            executor.shutdownNow();
        }
    }

    /**
     * The same inside a transaction that has work on the lost primary: the transaction is
     * replayed on the new one before the token is read there, so the statements after it go on
     * in a transaction that has all of the application's work.
     */
    @Test
    void aTokenAskedForInsideATransactionWhosePrimaryDiedReplaysItFirst(LocalCluster cluster) throws Exception {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE items (id int PRIMARY KEY)");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=5s&maxReplicaLag=20s");
             Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO items VALUES (1)");
                c.commit();
                s.executeUpdate("INSERT INTO items VALUES (2)");
            }
            cluster.crash(cluster.primary());
            Future<String> token = executor.submit(() -> c.unwrap(PghaConnection.class).consistencyToken());
            cluster.failOver(cluster.synchronousStandby().orElseThrow());
            assertThat(token.get(60, TimeUnit.SECONDS)).contains("@");
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO items VALUES (3)");
            }
            c.commit();
        } finally {
            executor.shutdownNow();
        }
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT string_agg(id::text, ',' ORDER BY id) FROM items")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("1,2,3");
        }
    }

    /**
     * A token made on a newly promoted primary, handed to a DataSource whose monitor has not seen
     * the promotion yet while the old primary runs on (found by the marathon: that DataSource
     * served the read from the old primary, which lacked the write).
     */
    @Test
    void aTokenOfTheNewPrimaryIsNotServedByTheOldPrimaryStillRunning(LocalCluster cluster) throws Exception {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE charts (id int PRIMARY KEY, v int NOT NULL)");
            s.execute("INSERT INTO charts VALUES (1, 0)");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
        Node old = cluster.primary();
        // The reader's monitor probes every 30 s: after its first round it does not look again
        // within this test unless a read asks it to.
        try (PghaDataSource writerDs = DataSources.of(cluster, "probeInterval=100ms&maxReplicaLag=1s");
             PghaDataSource readerDs = DataSources.of(cluster, "probeInterval=30s&maxReplicaLag=60s")) {
            assertThat(readerDs.clusterStatus().primary()).isEqualTo(old.hostAndPort());
            assertThat(writerDs.clusterStatus().primary()).isEqualTo(old.hostAndPort());
            Node promoted = cluster.failOver(cluster.synchronousStandby().orElseThrow()); // old runs on
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> promoted.hostAndPort().equals(writerDs.clusterStatus().primary()));
            String token;
            try (Connection writer = writerDs.getConnection(); Statement s = writer.createStatement()) {
                assertThat(s.executeUpdate("UPDATE charts SET v = 1 WHERE id = 1")).isEqualTo(1);
                token = writer.unwrap(PghaConnection.class).consistencyToken();
            }
            assertThat(token).endsWith("@" + cluster.timeline(promoted));
            assertThat(readerDs.clusterStatus().primary()).as("the reader has not seen the promotion")
                    .isEqualTo(old.hostAndPort());

            try (Connection reader = readerDs.getConnection()) {
                reader.unwrap(PghaConnection.class).setConsistencyToken(token);
                reader.setReadOnly(true);
                try (Statement s = reader.createStatement();
                     ResultSet rs = s.executeQuery("SELECT v, inet_server_port() FROM charts WHERE id = 1")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("the write the token covers").isEqualTo(1);
                    assertThat(rs.getInt(2)).isNotEqualTo(old.port());
                }
            }
        } finally {
            if (cluster.primary() != old) {
                cluster.rejoin(old);
            }
        }
    }

    /** The token's text form, compared as a position. */
    private static final class Lsn {
        static long parse(String text) throws SQLException {
            int at = text.indexOf('@');
            text = at < 0 ? text : text.substring(0, at);
            int slash = text.indexOf('/');
            if (slash < 0) {
                throw new SQLException("not a WAL position: " + text);
            }
            return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
        }
    }
}
