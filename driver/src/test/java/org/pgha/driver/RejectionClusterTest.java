package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * A node that rejects the client (a wrong password, a database that does not exist, a host
 * name that does not resolve, something that is not PostgreSQL) is not probed every 25 ms: the
 * monitor backs off, which the server's own log shows by its count of failed logins, and a
 * connection fails at once with the reason instead of waiting {@code failoverTimeout}.
 */
@LocalClusterTest(standbys = 1)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RejectionClusterTest {

    /** Far longer than any rejection may take to reach the application. */
    private static final String PATIENT = "failoverTimeout=90s";
    private static final Duration FAST = Duration.ofSeconds(20);

    @Test
    void aWrongPasswordFailsAtOnceAndCostsAHandfulOfLoginsNotFortyASecond(LocalCluster cluster) throws Exception {
        Pattern failedLogin = Pattern.compile("password authentication failed for user \"" + cluster.user() + "\"");
        long[] offsets = logSizes(cluster);
        PghaDataSource ds = DataSources.of(cluster, PATIENT);
        ds.setPassword("not-the-password");
        try {
            long started = System.nanoTime();
            assertThatThrownBy(() -> ds.getConnection().createStatement().execute("SELECT 1"))
                    .isInstanceOf(SQLNonTransientConnectionException.class)
                    .hasMessageStartingWith("No node of the cluster can be used, and waiting would not help:")
                    .hasMessageContaining("password authentication failed")
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("28P01");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(FAST);
            // The application retries as fast as it can: no retry reaches the server.
            for (int i = 0; i < 50; i++) {
                assertThatThrownBy(() -> {
                    try (Connection c = ds.getConnection()) {
                        c.createStatement().execute("SELECT 1");
                    }
                }).hasFieldOrPropertyWithValue("SQLState", "28P01");
            }
            Thread.sleep(6_000);
            // 6.5 s of backing off from 500 ms: 4 or 5 probes a node. Probing every 25 ms would be 260.
            for (int i = 0; i < cluster.nodes().size(); i++) {
                Node node = cluster.nodes().get(i);
                assertThat(count(node, offsets[i], failedLogin)).as("failed logins on %s", node).isBetween(1, 8);
            }
        } finally {
            ds.close();
        }
    }

    @Test
    void aDatabaseThatDoesNotExistFailsAtOnceWithItsName(LocalCluster cluster) throws Exception {
        long[] offsets = logSizes(cluster);
        PghaDataSource ds = new PghaDataSource();
        ds.setUrl("jdbc:pgha://" + cluster.hosts() + "/no_such_db?" + PATIENT);
        ds.setUser(cluster.user());
        ds.setPassword(cluster.password());
        try {
            long started = System.nanoTime();
            assertThatThrownBy(() -> ds.getConnection().createStatement().execute("SELECT 1"))
                    .hasMessageContaining("database \"no_such_db\" does not exist")
                    .hasFieldOrPropertyWithValue("SQLState", "3D000");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(FAST);
            Thread.sleep(3_000);
            for (int i = 0; i < cluster.nodes().size(); i++) {
                assertThat(count(cluster.nodes().get(i), offsets[i], Pattern.compile("database \"no_such_db\" does not exist")))
                        .isBetween(1, 6);
            }
        } finally {
            ds.close();
        }
    }

    @Test
    void anUnknownHostNameFailsAtOnceNamingIt(LocalCluster cluster) throws Exception {
        try (PghaDataSource ds = new PghaDataSource()) {
            ds.setUrl("jdbc:pgha://no-such-host.invalid,also-no-such-host.invalid:5433/" + cluster.database() + "?" + PATIENT);
            ds.setUser(cluster.user());
            ds.setPassword(cluster.password());
            long started = System.nanoTime();
            assertThatThrownBy(() -> ds.getConnection().createStatement().execute("SELECT 1"))
                    .hasMessageContaining("no-such-host.invalid:5432: the host name does not resolve")
                    .hasMessageContaining("also-no-such-host.invalid:5433: the host name does not resolve");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(FAST);
        }
    }

    @Test
    void anUnknownHostBesideGoodOnesIsLeftOutAndTheOthersServe(LocalCluster cluster) throws Exception {
        try (PghaDataSource ds = new PghaDataSource()) {
            ds.setUrl("jdbc:pgha://no-such-host.invalid," + cluster.hosts() + "/" + cluster.database());
            ds.setUser(cluster.user());
            ds.setPassword(cluster.password());
            try (Connection c = ds.getConnection()) {
                assertThat(c.createStatement().executeQuery("SELECT 1").next()).isTrue();
            }
            assertThat(ds.clusterStatus().nodes()).filteredOn(n -> n.host().startsWith("no-such-host"))
                    .singleElement().satisfies(n -> assertThat(n.up()).isFalse());
        }
    }

    @Test
    void aServerThatIsNotPostgresqlFailsAtOnceAndIsNotHammered(LocalCluster cluster) throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket http = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            Thread server = new Thread(() -> answerLikeAWebServer(http, accepted), "not-postgresql");
            server.setDaemon(true);
            server.start();
            try (PghaDataSource ds = new PghaDataSource()) {
                ds.setUrl("jdbc:pgha://127.0.0.1:" + http.getLocalPort() + "/" + cluster.database() + "?" + PATIENT);
                ds.setUser(cluster.user());
                ds.setPassword(cluster.password());
                long started = System.nanoTime();
                assertThatThrownBy(() -> ds.getConnection().createStatement().execute("SELECT 1"))
                        .isInstanceOf(SQLNonTransientConnectionException.class)
                        .hasMessageContaining("127.0.0.1:" + http.getLocalPort());
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(FAST);
                int before = accepted.get();
                Thread.sleep(3_000);
                assertThat(accepted.get() - before).as("connections in 3 s").isLessThan(8);
            }
        }
    }

    private static void answerLikeAWebServer(ServerSocket server, AtomicInteger accepted) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                accepted.incrementAndGet();
                OutputStream out = s.getOutputStream();
                out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                return;
            }
        }
    }

    private static long[] logSizes(LocalCluster cluster) throws IOException {
        long[] sizes = new long[cluster.nodes().size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = Files.size(cluster.nodes().get(i).logFile());
        }
        return sizes;
    }

    private static int count(Node node, long offset, Pattern pattern) {
        try {
            byte[] all = Files.readAllBytes(node.logFile());
            String since = new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                    StandardCharsets.UTF_8);
            return (int) pattern.matcher(since).results().count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
