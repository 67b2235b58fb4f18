package org.pgha.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.FaultProxy;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * Every connection to the primary is reset at once (a firewall or NAT restart, a proxy in
 * between bouncing): the node's pool holds as many dead idle connections as it had, and HikariCP
 * hands out one used within the last half second without validating it. Found by the soak: the
 * retries of a statement with nothing at stake drew one dead connection after another, and the
 * third failure reached the application as {@code 08006}. The first dead connection now makes the
 * pool evict the node's others.
 */
@LocalClusterTest(standbys = 1)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PoolConnectionResetClusterTest {

    private static final int POOLED = 6;

    private FaultProxy proxy;
    private PghaPoolDataSource ds;

    @BeforeEach
    void proxyThePrimary(LocalCluster cluster) throws SQLException {
        Node primary = cluster.primary();
        try (Connection c = cluster.connect(primary); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS visits (id bigint)");
            s.execute("TRUNCATE visits");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
        proxy = FaultProxy.start(primary.host(), primary.port());
        ds = new PghaPoolDataSource();
        ds.setJdbcUrl("jdbc:pgha://" + proxy.host() + ":" + proxy.port() + "," + cluster.standbys().get(0).hostAndPort()
                + "/" + cluster.database() + "?exactlyOnceAutocommit=true");
        ds.setUsername(cluster.user());
        ds.setPassword(cluster.password());
        ds.setMaximumPoolSize(POOLED);
    }

    @AfterEach
    void close() {
        ds.close();
        proxy.close();
    }

    @Test
    void anAutocommitWriteAfterEveryConnectionWasResetSucceeds() throws Exception {
        warmUp();
        proxy.cutExisting();

        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("INSERT INTO visits VALUES (1)")).isEqualTo(1);
        }
        assertThat(count()).isEqualTo(1);
    }

    @Test
    void theFirstStatementOfATransactionAfterEveryConnectionWasResetSucceeds() throws Exception {
        warmUp();
        proxy.cutExisting();

        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                assertThat(s.executeUpdate("INSERT INTO visits VALUES (2)")).isEqualTo(1);
            }
            c.commit();
        }
        assertThat(count()).isEqualTo(1);
    }

    /** Fills the primary's pool with connections all just used, so HikariCP hands them out unvalidated. */
    private void warmUp() throws SQLException {
        List<Connection> held = new ArrayList<>();
        try {
            for (int i = 0; i < POOLED; i++) {
                Connection c = ds.getConnection();
                held.add(c);
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
                    rs.next();
                }
            }
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
    }

    private long count() throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM visits")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
