package org.pgha.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;

/** What a pool gives back: an aborted connection's slot, and everything of a DataSource nobody closed. */
@LocalClusterTest(standbys = 1)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PoolResourcesClusterTest {

    @Test
    void anAbortedConnectionGivesItsSlotBack(LocalCluster cluster) throws SQLException {
        try (PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "")) {
            ds.setMaximumPoolSize(1);
            ds.setConnectionTimeout(2_000);
            for (int i = 0; i < 3; i++) {
                Connection c = ds.getConnection();
                c.createStatement().execute("SELECT 1");
                c.abort(Runnable::run);
                assertThat(c.isClosed()).isTrue();
            }
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                assertThat(s.execute("SELECT 1")).isTrue();
            }
        }
    }

    @Test
    void closeShutsEveryNodesPoolDownEvenWhenInterrupted(LocalCluster cluster) throws SQLException {
        PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "maxReplicaLag=30s");
        ds.setMinimumIdle(1);
        try (Connection c = ds.getConnection()) {
            c.createStatement().execute("SELECT 1");
        }
        try (Connection c = ds.getConnection()) {
            c.setReadOnly(true);
            c.createStatement().execute("SELECT 1");
        }
        assertThat(ds.nodePools()).hasSize(2);
        Thread.currentThread().interrupt();
        try {
            ds.close();
        } finally {
            assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
        }
        ds.nodePools().forEach((host, pool) -> assertThat(pool.getTotalConnections()).as("%s", host).isZero());
    }

    @Test
    void aDataSourceNobodyClosedIsCleanedOnceCollected(LocalCluster cluster) throws SQLException {
        String probe = "pgha-probe-127.0.0.1:" + cluster.primary().port();
        openAndForget(cluster);
        assertThat(threadsNamed(probe)).isPositive();
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            System.gc();
            return threadsNamed(probe) == 0;
        });
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> sessionsOf(cluster, "pgha-pool-test") == 0
                && sessionsOf(cluster, "pgha monitor") == 0);
    }

    private static void openAndForget(LocalCluster cluster) throws SQLException {
        PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "");
        ds.setMinimumIdle(2);
        try (Connection c = ds.getConnection()) {
            c.createStatement().execute("SELECT 1");
        }
    }

    private static int sessionsOf(LocalCluster cluster, String applicationName) throws SQLException {
        try (Connection c = cluster.connect(cluster.primary());
             java.sql.PreparedStatement s = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
            s.setString(1, applicationName);
            try (java.sql.ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static long threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive()).count();
    }
}
