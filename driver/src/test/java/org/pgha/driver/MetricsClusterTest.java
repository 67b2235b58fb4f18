package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/** pgha's meters in a Micrometer registry show the cluster as it is and count routed statements. */
@LocalClusterTest
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MetricsClusterTest {

    @Test
    void metersShowRolesLagAndRoutedStatements(LocalCluster cluster) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (PghaDataSource ds = DataSources.of(cluster, "probeInterval=100ms")) {
            ds.setMetricRegistry(registry);
            for (int i = 0; i < 10; i++) {
                try (Connection c = ds.getConnection()) {
                    c.setReadOnly(i % 2 == 0);
                    RoutingClusterTest.port(c);
                }
            }
            assertThat(routed(registry, "primary")).isEqualTo(5);
            assertThat(routed(registry, "replica")).isEqualTo(5);
            assertThat(registry.get("pgha.statements.routed").tag("node", cluster.primary().hostAndPort())
                    .tag("role", "primary").counter().count()).as("the primary's own counter").isEqualTo(5);
            assertThat(registry.get("pgha.node.role").tag("node", cluster.primary().hostAndPort()).gauge().value()).isEqualTo(1);
            assertThat(registry.get("pgha.node.lag.seconds").tag("node", cluster.primary().hostAndPort()).gauge().value()).isZero();
            assertThat(registry.get("pgha.node.readable").tag("node", cluster.primary().hostAndPort()).gauge().value())
                    .as("the primary is not a replica within the bound").isZero();
            for (String result : new String[] {"committed", "rolled_back", "unknown"}) {
                assertThat(registry.get("pgha.commit.resolutions").tag("result", result).counter().count())
                        .as("registered at 0 before any event: %s", result).isZero();
            }
            for (String result : new String[] {"replayed", "mismatch", "not_replayable", "failed"}) {
                assertThat(registry.get("pgha.transaction.replays").tag("result", result).counter().count())
                        .as("registered at 0 before any event: %s", result).isZero();
            }
            assertThat(registry.get("pgha.failovers.failed").counter().count()).isZero();
            assertThat(registry.get("pgha.history.diverged").counter().count()).isZero();
            for (Node standby : cluster.standbys()) {
                assertThat(registry.get("pgha.node.role").tag("node", standby.hostAndPort()).gauge().value()).isZero();
                double lag = registry.get("pgha.node.lag.seconds").tag("node", standby.hostAndPort()).gauge().value();
                assertThat(lag).as("lag of %s", standby).isBetween(0.0, 5.0);
                assertThat(registry.get("pgha.node.lag.bytes").tag("node", standby.hostAndPort()).gauge().value())
                        .isGreaterThanOrEqualTo(0.0);
                org.awaitility.Awaitility.await("%s readable".formatted(standby)).atMost(java.time.Duration.ofSeconds(10))
                        .until(() -> registry.get("pgha.node.readable").tag("node", standby.hostAndPort()).gauge().value() == 1);
            }
            cluster.stop(cluster.standbys().get(1));
            Node stopped = cluster.standbys().get(1);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                    registry.get("pgha.node.role").tag("node", stopped.hostAndPort()).gauge().value() == -1);
            assertThat(registry.get("pgha.node.lag.seconds").tag("node", stopped.hostAndPort()).gauge().value()).isNaN();
            assertThat(registry.get("pgha.node.readable").tag("node", stopped.hostAndPort()).gauge().value()).isZero();
            cluster.start(stopped);
        }
    }

    @Test
    void aRegistryOfAnotherKindIsRefusedNamingIt(LocalCluster cluster) {
        PghaDataSource ds = DataSources.of(cluster, "");
        ds.setMetricRegistry("not a registry");
        assertThatThrownBy(ds::getConnection).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MeterRegistry").hasMessageContaining("java.lang.String");
        ds.close();
    }

    /** Statements run on nodes in this role, summed over the nodes. */
    static double routed(io.micrometer.core.instrument.MeterRegistry registry, String role) {
        return registry.get("pgha.statements.routed").tag("role", role).counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }
}
