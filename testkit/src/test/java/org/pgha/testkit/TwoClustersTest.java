package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Clusters side by side leave each other alone. */
@Tag("cluster")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TwoClustersTest {

    @Test
    void startingASecondClusterLeavesTheFirstRestartable() {
        try (LocalCluster first = LocalCluster.builder().standbys(0).synchronousStandbys(0).start();
             LocalCluster second = LocalCluster.builder().standbys(0).synchronousStandbys(0).start()) {
            Node node = first.primary();
            first.stop(node);
            first.start(node);
            assertThat(first.role(node)).isEqualTo(Role.PRIMARY);
            assertThat(second.role(second.primary())).isEqualTo(Role.PRIMARY);
            assertThat(node.port()).isNotEqualTo(second.primary().port());
        }
    }
}
