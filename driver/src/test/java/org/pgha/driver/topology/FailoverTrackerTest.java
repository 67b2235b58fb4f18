package org.pgha.driver.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.topology.FailoverTracker.State;

class FailoverTrackerTest {

    private static final HostSpec A = new HostSpec("a", 5432);
    private static final HostSpec B = new HostSpec("b", 5432);

    private static WriteTarget primary(HostSpec host) {
        return WriteTarget.of(List.of(NodeState.probed(host, NodeRole.PRIMARY, 100, 1, 0)));
    }

    private static WriteTarget none() {
        return WriteTarget.of(List.of(NodeState.unknown(A)));
    }

    @Test
    void aFailoverStartsWhenThePrimaryIsGoneAndCompletesWithItsDuration() {
        FailoverTracker tracker = new FailoverTracker(10_000);
        FailoverTracker.Transition first = tracker.observe(primary(A), 0);
        assertThat(first.from()).isEqualTo(State.INITIAL);
        assertThat(tracker.observe(primary(A), 10)).isNull();

        FailoverTracker.Transition started = tracker.observe(none(), 100);
        assertThat(started.to()).isEqualTo(State.FAILING_OVER);
        assertThat(started.oldPrimary()).isEqualTo(A);
        assertThat(tracker.observe(none(), 200)).isNull();

        FailoverTracker.Transition completed = tracker.observe(primary(B), 1_100);
        assertThat(completed.from()).isEqualTo(State.FAILING_OVER);
        assertThat(completed.to()).isEqualTo(State.STABLE);
        assertThat(completed.failoverNanos()).isEqualTo(1_000);
        assertThat(completed.oldPrimary()).isEqualTo(A);
        assertThat(completed.newPrimary()).isEqualTo(B);
    }

    @Test
    void aFailoverPastItsTimeoutFailsOnceAndALaterPrimaryCompletesIt() {
        FailoverTracker tracker = new FailoverTracker(1_000);
        tracker.observe(primary(A), 0);
        tracker.observe(none(), 100);
        assertThat(tracker.observe(none(), 1_100)).isNull(); // exactly the timeout: not past it
        FailoverTracker.Transition failed = tracker.observe(none(), 1_101);
        assertThat(failed.to()).isEqualTo(State.FAILED);
        assertThat(failed.failoverNanos()).isEqualTo(1_001);
        assertThat(tracker.observe(none(), 5_000)).isNull();
        FailoverTracker.Transition late = tracker.observe(primary(B), 6_100);
        assertThat(late.from()).isEqualTo(State.FAILED);
        assertThat(late.to()).isEqualTo(State.STABLE);
        assertThat(late.failoverNanos()).isEqualTo(6_000);
    }

    @Test
    void noPrimaryBeforeTheFirstOneIsNoFailover() {
        FailoverTracker tracker = new FailoverTracker(1_000);
        assertThat(tracker.observe(none(), 0)).isNull();
        assertThat(tracker.observe(none(), 5_000)).isNull();
        assertThat(tracker.state()).isEqualTo(State.INITIAL);
    }
}
