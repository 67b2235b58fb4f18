package org.pgha.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.spring.app.ChartApplication;
import org.pgha.spring.app.ChartService;
import org.pgha.testkit.Ledger;
import org.pgha.testkit.LedgerReport;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;
import org.pgha.testkit.Workload;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A small Spring Boot application (JdbcTemplate, Spring Data JPA, Flyway, Actuator) on a real
 * cluster, configured only through {@code spring.datasource.url=jdbc:pgha://...}: where its
 * transactions run (asked of the server), and what it sees when its primary crashes under load.
 */
@LocalClusterTest
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SpringClusterTest {

    static ConfigurableApplicationContext start(LocalCluster cluster, String... more) {
        return new SpringApplicationBuilder(ChartApplication.class).web(WebApplicationType.NONE).properties(more).properties(
                "spring.datasource.url=jdbc:pgha://" + cluster.hosts() + "/" + cluster.database(),
                "spring.datasource.username=" + cluster.user(),
                "spring.datasource.password=" + cluster.password(),
                "spring.datasource.hikari.maximum-pool-size=6",
                "spring.jpa.open-in-view=false",
                "spring.main.banner-mode=off",
                "pgha.probe-interval=200ms",
                "pgha.failover-timeout=30s",
                "spring.liquibase.enabled=false").run(); // Flyway migrates here; LiquibaseClusterTest uses Liquibase
    }

    @Test
    void readOnlyTransactionsRunOnReplicasAndTheRestOnThePrimaryWhereFlywayMigrated(LocalCluster cluster)
            throws SQLException {
        // Each read here follows a write; with the starter's default scope (dataSource) it would
        // go to the primary until a replica is known to hold the write.
        try (ConfigurableApplicationContext app = start(cluster, "pgha.read-your-writes-scope=connection")) {
            try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM flyway_schema_history WHERE success AND version = '1'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("the migration, applied on the primary").isEqualTo(1);
            }
            ChartService charts = app.getBean(ChartService.class);
            Set<Integer> standbys = cluster.standbys().stream().map(Node::port).collect(Collectors.toSet());
            Set<Integer> readFrom = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                ChartService.Ran jdbcRead = charts.readWithJdbcTemplate();
                ChartService.Ran jpaRead = charts.readWithJpa();
                assertThat(List.of(jdbcRead, jpaRead)).allSatisfy(ran -> {
                    assertThat(ran.onStandby()).as("a read-only transaction, on a standby").isTrue();
                    assertThat(ran.port()).isIn(standbys);
                });
                readFrom.add(jdbcRead.port());
                readFrom.add(jpaRead.port());
                ChartService.Ran jdbcWrite = charts.writeWithJdbcTemplate(-1 - i, "routing");
                ChartService.Ran jpaWrite = charts.registerAndSayWhere(-100 - i, "routing");
                assertThat(List.of(jdbcWrite, jpaWrite)).allSatisfy(ran -> {
                    assertThat(ran.onStandby()).isFalse();
                    assertThat(ran.port()).isEqualTo(cluster.primary().port());
                });
            }
            // Reads spread over both standbys. Not necessarily at once: a standby is used only
            // once its lag can be bounded, which takes a few probes after the application starts.
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                ChartService.Ran ran = charts.readWithJdbcTemplate();
                assertThat(ran.onStandby()).isTrue();
                readFrom.add(ran.port());
                return readFrom.equals(standbys);
            });
            // A Spring Data read method is read-only by default: it too reads from a replica,
            // within the lag bound, so it sees the writes once they have been replayed there.
            await().atMost(Duration.ofSeconds(10)).until(() -> charts.countByName("routing") == 12);

            Boot.HealthReading health = Boot.health(app.getBean(PghaHealthAutoConfiguration.BEAN));
            assertThat(health.status()).isEqualTo("UP");
            assertThat(health.details()).containsEntry("primary", cluster.primary().hostAndPort());
            assertThat(Boot.endpointStatus(app, "pgha")).as("/actuator/health/pgha").isEqualTo("UP");
            MeterRegistry meters = app.getBean(MeterRegistry.class);
            assertThat(meters.get("pgha.statements.routed").tag("role", "replica").counters().stream()
                    .mapToDouble(io.micrometer.core.instrument.Counter::count).sum()).isPositive();
            assertThat(meters.get("hikaricp.connections").tag("node", cluster.primary().hostAndPort())
                    .tag("role", "primary").gauge().value()).isPositive();
        }
    }

    @Test
    void aCrashedPrimaryUnderLoadFailsNoRequestAndLosesOrDoublesNothing(LocalCluster cluster) throws Exception {
        Ledger ledger = new Ledger();
        try (ConfigurableApplicationContext app = start(cluster); Workload load = load(app.getBean(ChartService.class), ledger)) {
            Object indicator = app.getBean(PghaHealthAutoConfiguration.BEAN);
            Node old = cluster.primary();
            Node sync = cluster.synchronousStandby().orElseThrow();
            load.awaitProgress(40, PROGRESS);
            assertThat(Boot.health(indicator).details()).containsEntry("primary", old.hostAndPort());

            cluster.crash(old);
            await().atMost(Duration.ofSeconds(10)).until(() -> Boot.health(indicator).status().equals("DOWN"));
            assertThat(Boot.health(indicator).details()).containsEntry("writes", "NO_PRIMARY");
            assertThat(Boot.endpointStatus(app, "pgha")).as("/actuator/health/pgha").isEqualTo("DOWN");
            cluster.failOver(sync);
            load.awaitProgress(40, PROGRESS);
            Boot.HealthReading after = Boot.health(indicator);
            assertThat(after.status()).isEqualTo("UP");
            assertThat(after.details()).containsEntry("primary", sync.hostAndPort());
            assertThat(app.getBean(MeterRegistry.class).get("pgha.failover.duration").timer().count()).isEqualTo(1);

            cluster.rejoin(old);
            load.awaitProgress(40, PROGRESS);
            load.stop(PROGRESS);
            assertThat(load.errors()).as("errors the application saw").isEmpty();
            cluster.awaitReplication(Duration.ofSeconds(30));
            try (Connection c = cluster.connect(cluster.primary())) {
                LedgerReport report = ledger.compare(counts(c));
                assertThat(report.isClean()).as(report.summary()).isTrue();
                assertThat(report.acknowledged()).isGreaterThan(100);
            }
        }
    }

    private static final Duration PROGRESS = Duration.ofSeconds(60);

    /** Registrations (JPA, two patients per transaction) and chart reads (JPA and JdbcTemplate), as service calls. */
    private static Workload load(ChartService charts, Ledger ledger) {
        return Workload.builder()
                .operation("register two", 2, () -> {
                    long first = ledger.newId();
                    long second = ledger.newId();
                    charts.registerTwo(first, second, "load");
                    ledger.acknowledged(first);
                    ledger.acknowledged(second);
                })
                .operation("count", 1, () -> charts.countByName("load"))
                .operation("read", 1, () -> {
                    charts.readWithJpa();
                    charts.readWithJdbcTemplate();
                })
                .start();
    }

    private static Map<Long, Long> counts(Connection c) throws SQLException {
        Map<Long, Long> counts = new HashMap<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT ledger_id, count(*) FROM patient WHERE ledger_id > 0 GROUP BY ledger_id")) {
            while (rs.next()) {
                counts.put(rs.getLong(1), rs.getLong(2));
            }
        }
        return counts;
    }
}
