package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathBuilderException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A cluster built with {@code tls()}: clients that verify the server against its root
 * certificate get in over TLS, plaintext clients and clients trusting another authority do
 * not, and replication, failover and rejoin (rewound or re-cloned) run over TLS.
 */
@LocalClusterTest(standbys = 1, tls = true)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TlsClusterTest {

    @Test
    void aVerifyingClientConnectsOverTlsToEveryNode(LocalCluster cluster) throws Exception {
        assertThat(cluster.isTls()).isTrue();
        Path root = cluster.rootCertificate().orElseThrow();
        assertThat(Files.readString(root)).startsWith("-----BEGIN CERTIFICATE-----");
        for (Node node : cluster.nodes()) {
            String url = cluster.jdbcUrl(node) + "?sslmode=verify-full&sslrootcert="
                    + URLEncoder.encode(root.toString(), StandardCharsets.UTF_8);
            try (Connection c = DriverManager.getConnection(url, cluster.user(), cluster.password())) {
                assertThat(usesTls(c)).as("TLS of a verify-full connection to %s", node).isTrue();
            }
            // The testkit's own connections verify the server too.
            try (Connection c = cluster.connect(node)) {
                assertThat(usesTls(c)).as("TLS of cluster.connect(%s)", node).isTrue();
            }
        }
    }

    @Test
    void aPlaintextClientIsRefused(LocalCluster cluster) {
        for (Node node : cluster.nodes()) {
            Properties props = credentials(cluster);
            props.setProperty("sslmode", "disable");
            assertThatThrownBy(() -> DriverManager.getConnection(cluster.jdbcUrl(node), props).close())
                    .as("a plaintext connection to %s", node)
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28000"))
                    .hasMessageContaining("pg_hba.conf rejects connection")
                    .hasMessageContaining("no encryption");
        }
    }

    @Test
    void aClientTrustingAnotherAuthorityRefusesTheServer(LocalCluster cluster) throws Exception {
        Path untrusted = cluster.untrustedRootCertificate();
        assertThat(untrusted).isNotEqualTo(cluster.rootCertificate().orElseThrow());
        assertThat(Files.readString(untrusted)).startsWith("-----BEGIN CERTIFICATE-----")
                .isNotEqualTo(Files.readString(cluster.rootCertificate().orElseThrow()));
        assertThat(cluster.untrustedRootCertificate()).as("made once").isEqualTo(untrusted);

        Properties props = credentials(cluster);
        props.setProperty("sslmode", "verify-full");
        props.setProperty("sslrootcert", untrusted.toString());
        assertThatThrownBy(() -> DriverManager.getConnection(cluster.jdbcUrl(cluster.primary()), props).close())
                .isInstanceOf(SQLException.class)
                .hasCauseInstanceOf(SSLException.class)
                .hasRootCauseInstanceOf(CertPathBuilderException.class);
    }

    @Test
    void replicationStreamsOverTls(LocalCluster cluster) throws Exception {
        Node primary = cluster.primary();
        Node standby = cluster.standbys().get(0);
        Sql.execute(cluster, primary, "CREATE TABLE tls_replicated (id int PRIMARY KEY)");
        Sql.execute(cluster, primary, "INSERT INTO tls_replicated SELECT generate_series(1, 100)");
        cluster.awaitReplication(Duration.ofSeconds(30));
        assertThat(Sql.queryLong(cluster, standby, "SELECT count(*) FROM tls_replicated")).isEqualTo(100);
        assertThat(walSenderUsesTls(cluster, primary, standby)).as("TLS of %s's WAL stream", standby).isTrue();
        assertThat(cluster.syncState(standby)).contains("sync");
    }

    /**
     * A crash that leaves the old primary with a commit its standby never received, so that
     * rejoining it takes pg_rewind (system binaries) or a re-clone (embedded binaries), each
     * over TLS.
     */
    @Test
    void failOverAndRejoinOfADivergedOldPrimaryWorkOverTls(LocalCluster cluster) throws Exception {
        Node oldPrimary = cluster.primary();
        Node standby = cluster.standbys().get(0);
        Sql.execute(cluster, oldPrimary, "CREATE TABLE tls_failover (id int PRIMARY KEY)");
        Sql.execute(cluster, oldPrimary, "INSERT INTO tls_failover VALUES (1)");
        cluster.awaitReplication(Duration.ofSeconds(30));

        cluster.stop(standby);
        // Committed locally only: the stopped standby never sees it.
        try (Connection c = cluster.connect(oldPrimary); Statement s = c.createStatement()) {
            s.execute("SET synchronous_commit = local");
            s.execute("INSERT INTO tls_failover VALUES (2)");
        }
        cluster.crash(oldPrimary);
        cluster.start(standby);

        Node promoted = cluster.failOver(standby);
        assertThat(cluster.role(promoted)).isEqualTo(Role.PRIMARY);
        assertThat(ids(cluster, promoted)).as("the new primary never had row 2").isEqualTo("1");

        cluster.rejoin(oldPrimary);
        Sql.execute(cluster, promoted, "INSERT INTO tls_failover VALUES (3)");
        cluster.awaitReplication(Duration.ofSeconds(30));

        assertThat(cluster.role(oldPrimary)).isEqualTo(Role.STANDBY);
        assertThat(cluster.timeline(oldPrimary)).isEqualTo(cluster.timeline(promoted));
        assertThat(ids(cluster, oldPrimary)).as("rows on the rejoined %s", oldPrimary).isEqualTo("1,3");
        assertThat(walSenderUsesTls(cluster, promoted, oldPrimary)).as("TLS of %s's WAL stream", oldPrimary).isTrue();
        assertThat(cluster.syncState(oldPrimary)).contains("sync");
    }

    private static boolean usesTls(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            assertThat(rs.next()).as("a pg_stat_ssl row of this session").isTrue();
            return rs.getBoolean(1);
        }
    }

    /** Whether the upstream's WAL sender to {@code standby} talks TLS. */
    private static boolean walSenderUsesTls(LocalCluster cluster, Node upstream, Node standby) throws SQLException {
        try (Connection c = cluster.connect(upstream);
             PreparedStatement ps = c.prepareStatement("SELECT s.ssl FROM pg_stat_replication r"
                     + " JOIN pg_stat_ssl s ON s.pid = r.pid WHERE r.application_name = ?")) {
            ps.setString(1, standby.name());
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("%s in pg_stat_replication of %s", standby, upstream).isTrue();
                return rs.getBoolean(1);
            }
        }
    }

    private static String ids(LocalCluster cluster, Node node) throws SQLException {
        return Sql.query(cluster, node, "SELECT string_agg(id::text, ',' ORDER BY id) FROM tls_failover");
    }

    private static Properties credentials(LocalCluster cluster) {
        Properties props = new Properties();
        props.setProperty("user", cluster.user());
        props.setProperty("password", cluster.password());
        props.setProperty("connectTimeout", "10");
        return props;
    }
}
