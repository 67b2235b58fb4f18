package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.Ledger;
import org.pgha.testkit.LedgerReport;
import org.pgha.testkit.PatroniCluster;
import org.pgha.testkit.PgBinaries;
import org.pgha.testkit.Workload;

/**
 * pgha on a real Patroni + etcd cluster, reached through one seed address and Patroni's REST
 * API: the members it learns from {@code GET /cluster}, a member added and one removed, a
 * {@code patronictl switchover} and a leader killed under load.
 */
@Tag("cluster")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PatroniClusterTest {

    private static PatroniCluster cluster;

    @BeforeAll
    static void start() throws SQLException {
        assumeTrue(!"embedded".equals(System.getProperty(PgBinaries.BINARIES_PROPERTY)),
                "Patroni runs on the system's PostgreSQL installation, not on the embedded binaries");
        assumeTrue(PatroniCluster.isAvailable() || System.getenv("CI") != null,
                "patroni, patronictl and etcd are not installed (Debian: patroni, etcd-server, etcd-client)");
        cluster = PatroniCluster.builder().members(3).start();
        try (Connection c = cluster.connect(cluster.leader())) {
            new Ledger().createTable(c);
        }
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** One seed (the leader), every member's REST API. */
    private static PghaDataSource dataSource(String more) {
        PghaDataSource ds = new PghaDataSource();
        ds.setUrl("jdbc:pgha://" + cluster.leader().hostAndPort() + "/" + cluster.database() + "?patroni="
                + cluster.restUrls() + "&probeInterval=200ms" + more);
        ds.setUser(cluster.user());
        ds.setPassword(cluster.password());
        return ds;
    }

    private static Set<String> known(PghaDataSource ds) throws SQLException {
        return ds.clusterStatus().nodes().stream().map(ClusterStatus.Node::host).collect(Collectors.toSet());
    }

    /** Where a read-only transaction ran: the port the server listens on. */
    private static int readOnlyPort(PghaDataSource ds) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setReadOnly(true);
            try (PreparedStatement ps = c.prepareStatement("SELECT inet_server_port()"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    @Test
    @Order(1)
    void membersNamedOnlyByPatroniAreFoundVerifiedAndReadFromAndALeavingOneIsDropped() throws Exception {
        List<ClusterEvent> events = new CopyOnWriteArrayList<>();
        try (PghaDataSource ds = dataSource("")) {
            ds.addClusterEventListener(events::add);
            Set<String> all = cluster.members().stream().map(PatroniCluster.Member::hostAndPort).collect(Collectors.toSet());
            await().atMost(Duration.ofSeconds(10)).until(() -> known(ds).equals(all));
            Set<Integer> replicas = cluster.members().stream().filter(m -> !m.equals(cluster.leader()))
                    .map(PatroniCluster.Member::port).collect(Collectors.toSet());
            await().atMost(Duration.ofSeconds(10)).until(() -> replicas.contains(readOnlyPort(ds)));

            PatroniCluster.Member added = cluster.addMember();
            await().atMost(Duration.ofSeconds(20)).until(() -> known(ds).contains(added.hostAndPort()));
            await().atMost(Duration.ofSeconds(20)).until(() -> readOnlyPort(ds) == added.port());
            assertThat(events).anyMatch(e -> e.type() == ClusterEvent.Type.MEMBER_ADDED && e.node().equals(added.hostAndPort()));

            // Tagged noloadbalance: no new read goes there, and reads return once the tag is gone.
            cluster.tag(added, "noloadbalance", true);
            // Patroni shows the tag; pgha reads it at its next poll (probeInterval).
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                for (int i = 0; i < 10; i++) {
                    if (readOnlyPort(ds) == added.port()) {
                        return false;
                    }
                }
                return true;
            });
            for (int i = 0; i < 30; i++) {
                assertThat(readOnlyPort(ds)).as("a read while %s is tagged noloadbalance", added).isNotEqualTo(added.port());
            }
            assertThat(ds.clusterStatus().nodes()).as("the status shows it drained")
                    .filteredOn(n -> n.host().equals(added.hostAndPort())).singleElement()
                    .satisfies(n -> assertThat(n.drained()).isTrue());
            cluster.tag(added, "noloadbalance", false);
            await().atMost(Duration.ofSeconds(20)).until(() -> readOnlyPort(ds) == added.port());

            cluster.removeMember(added);
            await().atMost(Duration.ofSeconds(30)).until(() -> !known(ds).contains(added.hostAndPort()));
            assertThat(events).anyMatch(e -> e.type() == ClusterEvent.Type.MEMBER_REMOVED && e.node().equals(added.hostAndPort()));
            for (int i = 0; i < 20; i++) {
                assertThat(readOnlyPort(ds)).as("reads after the member left").isIn(replicas);
            }
        }
    }

    @Test
    @Order(2)
    void aSwitchoverAndALeaderKillUnderLoadLoseNothingDoubleNothingAndFailNothing() throws Exception {
        Ledger ledger = new Ledger();
        try (PghaDataSource ds = dataSource("&exactlyOnceAutocommit=true");
             Workload load = Workload.builder()
                     .operation("insert", 3, () -> {
                         long id = ledger.newId();
                         try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(ledger.insertSql())) {
                             ps.setLong(1, id);
                             ps.setString(2, "patroni");
                             ps.executeUpdate();
                         }
                         ledger.acknowledged(id);
                     })
                     .operation("read", 2, () -> readOnlyPort(ds))
                     .start()) {
            load.awaitProgress(50, Duration.ofSeconds(30));

            PatroniCluster.Member candidate = cluster.synchronousStandby().orElseThrow();
            cluster.switchover(candidate);
            load.awaitProgress(50, Duration.ofSeconds(60));

            PatroniCluster.Member leader = cluster.leader();
            cluster.kill(leader);
            load.awaitProgress(50, Duration.ofSeconds(90)); // Patroni promotes once the lease (ttl) runs out
            assertThat(cluster.leader()).isNotEqualTo(leader);
            cluster.restart(leader);
            load.awaitProgress(50, Duration.ofSeconds(60));
            load.stop(Duration.ofSeconds(60));
            assertThat(load.errors()).as("errors the application saw").isEmpty();
        }
        try (Connection c = cluster.connect(cluster.leader())) {
            LedgerReport report = ledger.verify(c);
            assertThat(report.isClean()).as(report.summary()).isTrue();
            assertThat(report.acknowledged()).isGreaterThan(150);
        }
    }
}
