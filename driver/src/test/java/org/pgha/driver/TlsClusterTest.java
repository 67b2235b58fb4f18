package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * pgha over TLS with {@code sslmode=verify-full}, on a cluster that refuses plain text: the
 * application's connections and the probes are encrypted and verified through routing and a
 * failover, and a root certificate that did not sign the servers' fails at once with an error
 * that names TLS.
 */
@LocalClusterTest(standbys = 1, tls = true)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TlsClusterTest {

    private static String tls(String rootCertificate) {
        return "sslmode=verify-full&sslrootcert=" + rootCertificate;
    }

    @Test
    void verifyFullThroughRoutingAndAFailoverProbesIncluded(LocalCluster cluster) throws SQLException {
        String root = cluster.rootCertificate().orElseThrow().toString();
        Node oldPrimary = cluster.primary();
        boolean crashed = false;
        try (PghaDataSource ds = DataSources.of(cluster, tls(root) + "&maxReplicaLag=30s")) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS tls_check (id int)");
                s.execute("INSERT INTO tls_check VALUES (1)");
                assertThat(encrypted(c)).isTrue();
            }
            try (Connection c = ds.getConnection()) {
                c.setReadOnly(true);
                assertThat(port(c)).isEqualTo(cluster.standbys().get(0).port());
                assertThat(encrypted(c)).isTrue();
            }
            for (Node node : cluster.nodes()) {
                assertThat(unencryptedMonitorSessions(cluster, node)).as("plain-text probes on %s", node).isZero();
                assertThat(monitorSessions(cluster, node)).as("probes on %s", node).isPositive();
            }
            cluster.crash(oldPrimary);
            crashed = true;
            Node promoted = cluster.failOver(cluster.standbys().get(0));
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO tls_check VALUES (2)");
                assertThat(port(c)).isEqualTo(promoted.port());
                assertThat(encrypted(c)).isTrue();
            }
            assertThat(unencryptedMonitorSessions(cluster, promoted)).isZero();
        } finally {
            if (crashed) {
                cluster.rejoin(oldPrimary);
            }
        }
    }

    @Test
    void aRootCertificateThatDidNotSignTheServersFailsAtOnceNamingTls(LocalCluster cluster) throws SQLException {
        String wrong = cluster.untrustedRootCertificate().toString();
        try (PghaDataSource ds = DataSources.of(cluster, tls(wrong) + "&failoverTimeout=90s")) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> ds.getConnection().createStatement().execute("SELECT 1"))
                    .isInstanceOf(SQLNonTransientConnectionException.class)
                    .hasMessageStartingWith("No node of the cluster can be used, and waiting would not help:")
                    .hasMessageContaining("TLS: the server's certificate failed verification");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
            assertThat(ds.clusterStatus().nodes()).allSatisfy(n -> assertThat(n.up()).isFalse());
        }
    }

    @Test
    void aCertificateThatDoesNotNameTheHostFailsAtOnceNamingTls(LocalCluster cluster) throws SQLException {
        // 127.1 is 127.0.0.1, but the certificates name 127.0.0.1 and localhost only.
        String hosts = cluster.nodes().stream().map(n -> "127.1:" + n.port()).collect(java.util.stream.Collectors.joining(","));
        try (PghaDataSource ds = new PghaDataSource()) {
            ds.setUrl("jdbc:pgha://" + hosts + "/" + cluster.database() + "?" + tls(cluster.rootCertificate().orElseThrow()
                    .toString()) + "&failoverTimeout=90s");
            ds.setUser(cluster.user());
            ds.setPassword(cluster.password());
            long started = System.nanoTime();
            assertThatThrownBy(() -> ds.getConnection().createStatement().execute("SELECT 1"))
                    .isInstanceOf(SQLNonTransientConnectionException.class)
                    .hasMessageContaining("TLS: the server's certificate does not name the host");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
        }
    }

    @Test
    void plainTextIsRefusedByTheClusterSoTheTestsAboveProveTls(LocalCluster cluster) {
        try (PghaDataSource ds = DataSources.of(cluster, "sslmode=disable&failoverTimeout=90s")) {
            assertThatThrownBy(() -> ds.getConnection().createStatement().execute("SELECT 1"))
                    .hasMessageContaining("no encryption");
        }
    }

    private static boolean encrypted(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static int port(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT inet_server_port()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int monitorSessions(LocalCluster cluster, Node node) throws SQLException {
        return count(cluster, node, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgha monitor'");
    }

    private static int unencryptedMonitorSessions(LocalCluster cluster, Node node) throws SQLException {
        return count(cluster, node, "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)"
                + " WHERE a.application_name = 'pgha monitor' AND NOT s.ssl");
    }

    private static int count(LocalCluster cluster, Node node, String sql) throws SQLException {
        try (Connection c = cluster.connect(node); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
