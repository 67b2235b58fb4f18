package org.pgha.driver.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pgha.driver.ClusterEvent;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;

/**
 * What the monitor does with the members a topology source lists, on nodes nobody answers at
 * (every probe fails as against a closed port): which are added, kept, drained and removed.
 */
class ClusterMonitorMembersTest {

    private static final HostSpec SEED = new HostSpec("127.0.0.1", 1);
    private static final HostSpec FOUND = new HostSpec("127.0.0.1", 2);
    private static final HostSpec OTHER = new HostSpec("127.0.0.1", 3);

    private final List<ClusterEvent> events = new CopyOnWriteArrayList<>();
    private ClusterMonitor monitor;

    private ClusterMonitor monitor() throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://127.0.0.1:1/db?probeInterval=50ms", null);
        monitor = new ClusterMonitor(config, host -> {
            throw new SQLException("Connection to " + host + " refused", "08001");
        }, System::nanoTime, Clock.systemUTC());
        monitor.addListener(events::add);
        return monitor.start();
    }

    @AfterEach
    void close() {
        if (monitor != null) {
            monitor.close();
        }
    }

    private List<HostSpec> hosts() {
        return monitor.topology().nodes().stream().map(NodeState::host).toList();
    }

    private long count(ClusterEvent.Type type, HostSpec host) {
        return events.stream().filter(e -> e.type() == type && e.node().equals(host.toString())).count();
    }

    @Test
    void aListedMemberIsAddedOnceAndRemovedOnlyAfterThreeAnswersInARowWithoutIt() throws SQLException {
        monitor();
        monitor.members(List.of(SEED, FOUND), Set.of());
        monitor.members(List.of(SEED, FOUND, FOUND), Set.of());
        assertThat(hosts()).containsExactly(SEED, FOUND);
        assertThat(count(ClusterEvent.Type.MEMBER_ADDED, FOUND)).isEqualTo(1);
        assertThat(monitor.topology().node(FOUND)).hasValueSatisfying(n -> assertThat(n.up()).as("not yet verified").isFalse());

        monitor.members(List.of(SEED), Set.of());
        monitor.members(List.of(SEED), Set.of());
        monitor.members(List.of(SEED, FOUND), Set.of()); // back before the third absence: the count starts again
        monitor.members(List.of(SEED), Set.of());
        monitor.members(List.of(SEED), Set.of());
        assertThat(hosts()).containsExactly(SEED, FOUND);
        monitor.members(List.of(SEED), Set.of());
        assertThat(hosts()).containsExactly(SEED);
        assertThat(count(ClusterEvent.Type.MEMBER_REMOVED, FOUND)).isEqualTo(1);
    }

    @Test
    void theUrlsHostsAreNeverRemovedWhateverTheSourceLists() throws SQLException {
        monitor();
        for (int i = 0; i < 5; i++) {
            monitor.members(List.of(OTHER), Set.of());
        }
        assertThat(hosts()).containsExactly(SEED, OTHER);
        assertThat(count(ClusterEvent.Type.MEMBER_REMOVED, SEED)).isZero();
    }

    @Test
    void drainedMembersAreThoseTheSourceNamesAndKnowsNothingElse() throws SQLException {
        monitor();
        monitor.members(List.of(SEED, FOUND), Set.of(FOUND, OTHER));
        assertThat(monitor.topology().drained()).as("a drained host that is not a member is ignored").containsExactly(FOUND);
        assertThat(monitor.status().nodes()).as("the status shows it")
                .extracting(n -> n.host() + (n.drained() ? " drained" : ""))
                .containsExactly(SEED.toString(), FOUND + " drained");
        monitor.members(List.of(SEED, FOUND), Set.of());
        assertThat(monitor.topology().drained()).isEmpty();
    }

    @Test
    void afterCloseTheSourceAddsNothing() throws SQLException {
        monitor().close();
        monitor.members(List.of(SEED, FOUND), Set.of());
        assertThat(hosts()).containsExactly(SEED);
    }
}
