package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;

/** The driver through DriverManager, as tools such as Flyway use it, and what it never reveals. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@org.junit.jupiter.api.Tag("cluster")
class DriverClusterTest {

    private static final String SECRET = "Pw-7f3k2-never-logged";

    @Test
    void driverManagerConnectionsWorkAndNeverRevealThePassword() throws Exception {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new TeeStream(originalErr, captured), true, StandardCharsets.UTF_8));
        try (LocalCluster cluster = LocalCluster.builder().password(SECRET).start()) {
            String url = DataSources.url(cluster, "probeInterval=100ms");
            Properties props = new Properties();
            props.setProperty("user", cluster.user());
            props.setProperty("password", SECRET);
            PghaDriver driver = (PghaDriver) DriverManager.getDriver(url);
            try (Connection c = DriverManager.getConnection(url, props)) {
                assertThat(driver.monitoredClusters()).isEqualTo(1);
                assertThat(c.unwrap(PghaConnection.class)).isNotNull();
                assertThat(RoutingClusterTest.port(c)).isEqualTo(cluster.primary().port());
                DatabaseMetaData meta = c.getMetaData();
                assertThat(meta.getDatabaseProductName()).isEqualTo("PostgreSQL");
                assertThat(meta.getConnection()).isSameAs(c);
                assertThat(c.toString()).doesNotContain(SECRET);
            }
            // The last DriverManager connection of a cluster stops its monitor.
            assertThat(driver.monitoredClusters()).isZero();
            // Connections of one URL share a router: round robin spreads them over the replicas.
            try (Connection keep = DriverManager.getConnection(url, props)) {
                java.util.Set<Integer> ports = new java.util.HashSet<>();
                for (int i = 0; i < 6; i++) {
                    try (Connection c = DriverManager.getConnection(url, props)) {
                        c.setReadOnly(true);
                        ports.add(RoutingClusterTest.port(c));
                    }
                }
                assertThat(ports).containsExactlyInAnyOrderElementsOf(
                        cluster.standbys().stream().map(org.pgha.testkit.Node::port).toList());
                assertThat(keep.isValid(2)).isTrue();
            }
            // Bad input: the documented SQLState, the property and the value named, no password.
            assertThatThrownBy(() -> DriverManager.getConnection(url + "&maxReplicaLag=-5s&password=" + SECRET, props))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> {
                        assertThat(((SQLException) e).getSQLState()).isEqualTo(PghaSqlState.INVALID_CONFIGURATION);
                        assertThat(e.getMessage()).contains("maxReplicaLag", "-5s").doesNotContain(SECRET);
                    });
            Properties wrong = new Properties();
            wrong.setProperty("user", cluster.user());
            wrong.setProperty("password", SECRET + "-wrong");
            assertThatThrownBy(() -> {
                try (Connection c = DriverManager.getConnection(url, wrong)) {
                    RoutingClusterTest.port(c);
                }
            }).isInstanceOf(SQLException.class).satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
            PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms");
            try (ds; Connection c = ds.getConnection()) {
                assertThat(ds.toString()).doesNotContain(SECRET);
                RoutingClusterTest.port(c);
                assertThat(ds.toString()).doesNotContain(SECRET);
            }
        } finally {
            System.setErr(originalErr);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("pgha cluster"); // the monitor did log: the check below is not vacuous
        assertThat(log).doesNotContain(SECRET);
    }

    /** Writes to two streams. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
