package org.pgha.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pgha.driver.ClusterStatus;

/** The health verdict for each state of writes, without a database. */
class PghaHealthTest {

    private static final List<ClusterStatus.Node> NODES = List.of(
            new ClusterStatus.Node("db1:5432", ClusterStatus.Role.PRIMARY, true, false, 7, Duration.ZERO, 0L, null),
            new ClusterStatus.Node("db2:5432", ClusterStatus.Role.PRIMARY, false, false, 8, null, null, "refused"),
            new ClusterStatus.Node("db3:5432", ClusterStatus.Role.REPLICA, true, false, 7, Duration.ZERO, 0L, null, true));

    @Test
    void upOnlyWithAPrimary() {
        PghaHealth.Result up = PghaHealth.check(new ClusterStatus(Instant.EPOCH, ClusterStatus.Writes.PRIMARY, "db1:5432", NODES));
        assertThat(up.up()).isTrue();
        assertThat(up.details()).containsEntry("primary", "db1:5432").doesNotContainKey("reason");
        for (ClusterStatus.Writes writes : ClusterStatus.Writes.values()) {
            if (writes != ClusterStatus.Writes.PRIMARY) {
                PghaHealth.Result down = PghaHealth.check(new ClusterStatus(Instant.EPOCH, writes, null, NODES));
                assertThat(down.up()).as(writes.name()).isFalse();
                assertThat(down.details()).as(writes.name()).containsEntry("writes", writes.name()).containsKey("reason");
            }
        }
    }

    @Test
    void aDivergedHistoryIsDownWithItsReasonAndEveryNode() {
        PghaHealth.Result down = PghaHealth.check(
                new ClusterStatus(Instant.EPOCH, ClusterStatus.Writes.HISTORY_DIVERGED, null, NODES));
        assertThat((String) down.details().get("reason")).contains("newer primary", "acceptDivergedHistory()");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> nodes = (Map<String, Map<String, Object>>) down.details().get("nodes");
        assertThat(nodes.get("db1:5432")).containsEntry("timeline", 7).containsEntry("state", "up");
        assertThat(nodes.get("db2:5432")).containsEntry("timeline", 8).containsEntry("state", "down").doesNotContainKey("drained");
        assertThat(nodes.get("db3:5432")).containsEntry("drained", true);
    }
}
