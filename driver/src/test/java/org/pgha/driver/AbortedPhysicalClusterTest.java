package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * With no work of a transaction at stake, a connection-level call never fails because its
 * node was lost: the monitor aborted the physical connection (its node went DOWN), and the call
 * keeps the state for the next physical connection, which gets it. Spring's transaction manager
 * and HikariCP make these calls on every transaction, so a failure here would be an error the
 * application could have been spared.
 *
 * <p>Deterministic, no race needed: every connection is bound to the primary through a
 * FaultProxy; the proxy turns into a black hole, the monitor finds the primary hung and aborts
 * every physical connection to it, the link comes back, and only then is each call made, on a
 * connection whose physical connection is certainly aborted.
 */
@LocalClusterTest(standbys = 1)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AbortedPhysicalClusterTest {

    private FaultProxy proxy;
    private PghaDataSource ds;
    private final List<ClusterEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void proxyThePrimary(LocalCluster cluster) throws SQLException {
        Node primary = cluster.primary();
        try (Connection c = cluster.connect(primary); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS ward");
            s.execute("CREATE TABLE IF NOT EXISTS ward.visit (id bigint)");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
        proxy = FaultProxy.start(primary.host(), primary.port());
        ds = new PghaDataSource();
        ds.setUrl("jdbc:pgha://" + proxy.host() + ":" + proxy.port() + "," + cluster.standbys().get(0).hostAndPort() + "/"
                + cluster.database() + "?probeInterval=100ms&probeTimeout=500ms&maxReplicaLag=5s");
        ds.setUser(cluster.user());
        ds.setPassword(cluster.password());
        ds.addClusterEventListener(events::add);
    }

    @AfterEach
    void close() {
        ds.close();
        proxy.close();
    }

    /** One connection-level call, and what the connection shows of it afterwards. */
    private interface Call {
        void make(Connection c) throws Exception;
    }

    private record Case(String name, Call before, Call call, Call check) {
    }

    @Test
    void everyConnectionLevelCallOnAnAbortedPhysicalConnectionKeepsItsStateAndSucceeds(LocalCluster cluster)
            throws Exception {
        Node primary = cluster.primary();
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("setAutoCommit(false)", c -> { }, c -> c.setAutoCommit(false), c -> {
            assertThat(c.getAutoCommit()).isFalse();
            long xid = query(c, "SELECT pg_current_xact_id()::text::bigint");
            assertThat(query(c, "SELECT pg_current_xact_id()::text::bigint")).as("one transaction").isEqualTo(xid);
            c.rollback();
        }));
        cases.add(new Case("setAutoCommit(true)", c -> c.setAutoCommit(false), c -> c.setAutoCommit(true), c -> {
            assertThat(c.getAutoCommit()).isTrue();
            assertThat(query(c, "SELECT pg_current_xact_id()::text::bigint"))
                    .isNotEqualTo(query(c, "SELECT pg_current_xact_id()::text::bigint"));
        }));
        cases.add(new Case("setReadOnly(true)", c -> { }, c -> c.setReadOnly(true), c -> {
            assertThat(c.isReadOnly()).isTrue();
            assertThat(text(c, "SELECT current_setting('transaction_read_only')")).isEqualTo("on");
        }));
        cases.add(new Case("setTransactionIsolation", c -> { },
                c -> c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE), c -> {
                    assertThat(c.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_SERIALIZABLE);
                    c.setAutoCommit(false);
                    assertThat(text(c, "SELECT current_setting('transaction_isolation')")).isEqualTo("serializable");
                    c.rollback();
                }));
        cases.add(new Case("setSchema", c -> { }, c -> c.setSchema("ward"), c -> {
            assertThat(c.getSchema()).isEqualTo("ward");
            assertThat(text(c, "SELECT current_schema()")).isEqualTo("ward");
        }));
        cases.add(new Case("setCatalog", c -> { }, c -> c.setCatalog(cluster.database()),
                c -> assertThat(c.getCatalog()).isEqualTo(cluster.database())));
        cases.add(new Case("setClientInfo(name, value)", c -> { }, c -> c.setClientInfo("ApplicationName", "ward-9"),
                c -> assertThat(text(c, "SELECT current_setting('application_name')")).isEqualTo("ward-9")));
        cases.add(new Case("setClientInfo(Properties)", c -> { }, c -> {
            Properties p = new Properties();
            p.setProperty("ApplicationName", "ward-10");
            c.setClientInfo(p);
        }, c -> assertThat(c.getClientInfo("ApplicationName")).isEqualTo("ward-10")));
        cases.add(new Case("setNetworkTimeout", c -> { }, c -> c.setNetworkTimeout(Runnable::run, 43_210), c -> {
            assertThat(c.getNetworkTimeout()).isEqualTo(43_210);
            Connection physical = (Connection) c.unwrap(org.postgresql.PGConnection.class);
            assertThat(physical.getNetworkTimeout()).as("on the new physical connection").isEqualTo(43_210);
        }));
        cases.add(new Case("setHoldability", c -> { }, c -> c.setHoldability(ResultSet.HOLD_CURSORS_OVER_COMMIT),
                c -> assertThat(c.getHoldability()).isEqualTo(ResultSet.HOLD_CURSORS_OVER_COMMIT)));
        cases.add(new Case("setTypeMap", c -> { }, c -> c.setTypeMap(Map.of("ward.kind", String.class)),
                c -> assertThat(c.getTypeMap()).containsKey("ward.kind")));
        cases.add(new Case("commit with no work", c -> {
            c.setAutoCommit(false);
            c.commit();
        }, Connection::commit, c -> {
            insertVisit(c, 1);
            c.commit();
            assertThat(visits(cluster, 1)).isEqualTo(1);
        }));
        cases.add(new Case("rollback with no work", c -> {
            c.setAutoCommit(false);
            c.commit();
        }, Connection::rollback, c -> {
            insertVisit(c, 2);
            c.commit();
            assertThat(visits(cluster, 2)).isEqualTo(1);
        }));
        cases.add(new Case("isValid", c -> { }, c -> assertThat(c.isValid(2)).isTrue(),
                c -> assertThat(query(c, "SELECT 7")).isEqualTo(7)));
        cases.add(new Case("getMetaData", c -> { }, c -> {
            DatabaseMetaData meta = c.getMetaData();
            assertThat(meta.getDatabaseProductName()).isEqualTo("PostgreSQL");
            assertThat(meta.getConnection()).isSameAs(c);
        }, c -> assertThat(query(c, "SELECT 8")).isEqualTo(8)));
        cases.add(new Case("createStatement", c -> { }, c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 9")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(9);
            }
        }, c -> { }));
        cases.add(new Case("prepareStatement", c -> { }, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT ?::int")) {
                ps.setInt(1, 10);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(10);
                }
            }
        }, c -> { }));
        cases.add(new Case("getWarnings and clearWarnings", c -> { }, c -> {
            assertThat((Object) c.getWarnings()).isNull();
            c.clearWarnings();
        }, c -> assertThat(query(c, "SELECT 11")).isEqualTo(11)));
        cases.add(new Case("getSchema, unset", c -> { }, c -> assertThat(c.getSchema()).isEqualTo("public"), c -> { }));
        cases.add(new Case("getTransactionIsolation, unset", c -> { },
                c -> assertThat(c.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_READ_COMMITTED), c -> { }));
        cases.add(new Case("nativeSQL", c -> { }, c -> assertThat(c.nativeSQL("SELECT 1")).isEqualTo("SELECT 1"), c -> { }));
        cases.add(new Case("createArrayOf", c -> { },
                c -> assertThat(c.createArrayOf("int4", new Object[] {1, 2}).getBaseTypeName()).isEqualTo("int4"), c -> { }));

        Map<Case, Connection> connections = new LinkedHashMap<>();
        try {
            for (Case k : cases) {
                Connection c = ds.getConnection();
                connections.put(k, c);
                assertThat(RoutingClusterTest.port(c)).as(k.name()).isEqualTo(primary.port());
                k.before().make(c);
            }
            proxy.blackHole();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> events.stream().anyMatch(e -> e.type() == ClusterEvent.Type.NODE_DOWN
                            && e.node().equals(proxy.host() + ":" + proxy.port())));
            proxy.pass();
            List<String> failures = new ArrayList<>();
            for (Map.Entry<Case, Connection> e : connections.entrySet()) {
                Case k = e.getKey();
                Connection c = e.getValue();
                try {
                    k.call().make(c);
                    k.check().make(c);
                } catch (Exception | AssertionError failure) {
                    failures.add(k.name() + ": " + failure);
                }
            }
            assertThat(failures).as("calls that failed on an aborted physical connection").isEmpty();
        } finally {
            for (Connection c : connections.values()) {
                c.close();
            }
        }
    }

    private static long query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String text(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void insertVisit(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO ward.visit VALUES (?)")) {
            ps.setLong(1, id);
            ps.executeUpdate();
        }
    }

    private static long visits(LocalCluster cluster, long id) throws SQLException {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM ward.visit WHERE id = " + id)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
