package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * Who the probes log in as: a least-privilege monitoring role when {@code monitorUser} is set,
 * the user of {@code getConnection(user, password)} when the DataSource has none (never the
 * operating system's user), and a rotated password on the DriverManager path gets a monitor
 * of its own.
 */
@LocalClusterTest(standbys = 1)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MonitorCredentialsClusterTest {

    @BeforeAll
    static void roles(LocalCluster cluster) throws SQLException {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            // Nothing but LOGIN: the probe needs no other privilege.
            s.execute("CREATE ROLE pgha_probe LOGIN PASSWORD 'probe-secret'");
            s.execute("CREATE ROLE clinician LOGIN PASSWORD 'first-secret'");
            s.execute("GRANT ALL ON SCHEMA public TO clinician");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
    }

    @Test
    void probesLogInAsTheMonitoringRoleOnEveryNode(LocalCluster cluster) throws SQLException {
        try (PghaDataSource ds = DataSources.of(cluster, "monitorUser=pgha_probe&monitorPassword=probe-secret")) {
            try (Connection c = ds.getConnection()) {
                assertThat(query(c, "SELECT current_user")).isEqualTo(cluster.user());
            }
            assertThat(ds.clusterStatus().nodes()).allSatisfy(n -> assertThat(n.up()).isTrue());
            assertThat(ds.clusterStatus().primary()).isEqualTo("127.0.0.1:" + cluster.primary().port());
            for (Node node : cluster.nodes()) {
                assertThat(monitorUsers(cluster, node)).containsOnly("pgha_probe");
            }
            assertThat(ds.toString()).contains("monitorPassword=***").doesNotContain("probe-secret");
        }
    }

    @Test
    void aDataSourceWithoutAUserProbesAsTheUserItWasAskedFor(LocalCluster cluster) throws SQLException {
        try (PghaDataSource ds = new PghaDataSource()) {
            ds.setUrl(DataSources.url(cluster, ""));
            try (Connection c = ds.getConnection("clinician", "first-secret")) {
                assertThat(query(c, "SELECT current_user")).isEqualTo("clinician");
            }
            try (Connection c = ds.getConnection(cluster.user(), cluster.password())) {
                assertThat(query(c, "SELECT current_user")).isEqualTo(cluster.user());
            }
            assertThat(monitorUsers(cluster, cluster.primary())).containsOnly("clinician", cluster.user());
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> monitorUsers(cluster, cluster.primary()).isEmpty());
    }

    @Test
    void aRotatedPasswordOnTheDriverManagerPathGetsAMonitorThatUsesIt(LocalCluster cluster) throws Exception {
        String url = DataSources.url(cluster, "");
        try (Connection before = DriverManager.getConnection(url, credentials("clinician", "first-secret"))) {
            assertThat(query(before, "SELECT current_user")).isEqualTo("clinician");
            try (Connection admin = cluster.connect(cluster.primary()); Statement s = admin.createStatement()) {
                s.execute("ALTER ROLE clinician PASSWORD 'second-secret'");
            }
            cluster.awaitReplication(Duration.ofSeconds(30));
            // The first monitor's probe sessions go: it logs in again with the old password, and fails.
            long logged = java.nio.file.Files.size(cluster.primary().logFile());
            for (Node node : cluster.nodes()) {
                terminateMonitorSessions(cluster, node, "clinician");
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> new String(
                    java.nio.file.Files.readAllBytes(cluster.primary().logFile()), java.nio.charset.StandardCharsets.UTF_8)
                    .substring((int) logged).contains("password authentication failed for user \"clinician\""));
            try (Connection after = DriverManager.getConnection(url, credentials("clinician", "second-secret"))) {
                assertThat(query(after, "SELECT current_user")).isEqualTo("clinician");
                after.createStatement().execute("CREATE TABLE IF NOT EXISTS rotation_check (id int)");
            }
        } finally {
            try (Connection admin = cluster.connect(cluster.primary()); Statement s = admin.createStatement()) {
                s.execute("ALTER ROLE clinician PASSWORD 'first-secret'");
            }
        }
    }

    @Test
    void aDataSourceNobodyClosedStopsItsMonitorOnceCollected(LocalCluster cluster) throws SQLException {
        String probe = "pgha-probe-127.0.0.1:" + cluster.primary().port();
        openAndForget(cluster);
        assertThat(threadsNamed(probe)).isPositive();
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            System.gc();
            return threadsNamed(probe) == 0;
        });
    }

    @Test
    void anOpenConnectionKeepsItsDataSourceFromBeingCleaned(LocalCluster cluster) throws Exception {
        String probe = "pgha-probe-127.0.0.1:" + cluster.primary().port();
        Connection kept = openAndKeep(cluster);
        try {
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(100);
            }
            assertThat(threadsNamed(probe)).isPositive();
            assertThat(query(kept, "SELECT 'still here'")).isEqualTo("still here");
        } finally {
            kept.close();
        }
    }

    private static void openAndForget(LocalCluster cluster) throws SQLException {
        PghaDataSource ds = DataSources.of(cluster, "");
        try (Connection c = ds.getConnection()) {
            query(c, "SELECT 1");
        }
    }

    private static Connection openAndKeep(LocalCluster cluster) throws SQLException {
        Connection c = DataSources.of(cluster, "").getConnection();
        query(c, "SELECT 1");
        return c;
    }

    private static long threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive()).count();
    }

    private static Properties credentials(String user, String password) {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        return p;
    }

    private static List<String> monitorUsers(LocalCluster cluster, Node node) throws SQLException {
        List<String> users = new ArrayList<>();
        try (Connection c = cluster.connect(node); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT usename FROM pg_stat_activity WHERE application_name = 'pgha monitor'")) {
            while (rs.next()) {
                users.add(rs.getString(1));
            }
        }
        return users;
    }

    private static void terminateMonitorSessions(LocalCluster cluster, Node node, String user) throws SQLException {
        try (Connection c = cluster.connect(node); PreparedStatement s = c.prepareStatement("SELECT pg_terminate_backend(pid)"
                + " FROM pg_stat_activity WHERE application_name = 'pgha monitor' AND usename = ?")) {
            s.setString(1, user);
            s.execute();
        }
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
