package org.pgha.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.driver.ClusterStatus;
import org.pgha.driver.PghaConnection;
import org.pgha.driver.config.HostSpec;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * Through the pool: a standby is promoted while the old primary runs on. A transaction the pool
 * holds open on the old primary commits on the new one (replayed), the old primary's pool
 * keeps no idle connection, and new borrows write to the new primary.
 */
@LocalClusterTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PoolWriteTargetMoveClusterTest {

    @Test
    void aTransactionHeldOnTheOldPrimaryCommitsOnTheNewOne(LocalCluster cluster) throws SQLException {
        Node old = cluster.primary();
        Node async = cluster.standbys().stream().filter(n -> n != cluster.synchronousStandby().orElseThrow())
                .findFirst().orElseThrow();
        try (Connection c = cluster.connect(old); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE moved (id bigint)");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
        try (PghaPoolDataSource ds = PoolClusterTest.pool(cluster, "probeInterval=100ms")) {
            ds.setMinimumIdle(2);
            try (Connection held = ds.getConnection()) {
                held.setAutoCommit(false);
                insert(held, 1);
                assertThat(held.unwrap(PghaConnection.class).currentNode()).isEqualTo(old.hostAndPort());
                Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> pool(ds, old).getIdleConnections() > 0);

                cluster.promote(async);
                Awaitility.await().atMost(Duration.ofSeconds(30))
                        .until(() -> async.hostAndPort().equals(ds.clusterStatus().primary()));
                held.commit();
            }
            assertThat(count(cluster, async, 1)).as("on the new primary").isEqualTo(1);
            assertThat(count(cluster, old, 1)).as("on the old primary").isZero();
            assertThat(ds.clusterStatus().writes()).isEqualTo(ClusterStatus.Writes.PRIMARY);
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(
                    () -> assertThat(pool(ds, old).getIdleConnections()).as("idle connections to the old primary").isZero());
            try (Connection c = ds.getConnection()) {
                insert(c, 2);
                assertThat(c.unwrap(PghaConnection.class).currentNode()).isEqualTo(async.hostAndPort());
            }
            assertThat(count(cluster, async, 2)).isEqualTo(1);
        }
    }

    private static com.zaxxer.hikari.pool.HikariPool pool(PghaPoolDataSource ds, Node node) {
        return ds.nodePools().get(new HostSpec(node.host(), node.port()));
    }

    private static void insert(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO moved VALUES (?)")) {
            ps.setLong(1, id);
            ps.executeUpdate();
        }
    }

    private static long count(LocalCluster cluster, Node node, long id) throws SQLException {
        try (Connection c = cluster.connect(node); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM moved WHERE id = " + id)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
