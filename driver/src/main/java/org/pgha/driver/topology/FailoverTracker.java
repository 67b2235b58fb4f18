package org.pgha.driver.topology;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.pgha.driver.config.HostSpec;

/**
 * The failover state of one cluster, as the monitor's snapshots show it, with explicit states
 * and a whitelist of transitions. Each transition is one event (see {@link Transition}). Not
 * thread-safe: the monitor calls it under its publish lock.
 *
 * <pre>
 * INITIAL --primary--> STABLE --no primary--> FAILING_OVER --primary--> STABLE
 *                                              |                        ^
 *                                              +--failoverTimeout--> FAILED --primary--+
 * </pre>
 */
final class FailoverTracker {

    enum State { INITIAL, STABLE, FAILING_OVER, FAILED }

    private static final Map<State, Set<State>> ALLOWED = Map.of(
            State.INITIAL, EnumSet.of(State.STABLE),
            State.STABLE, EnumSet.of(State.FAILING_OVER),
            State.FAILING_OVER, EnumSet.of(State.STABLE, State.FAILED),
            State.FAILED, EnumSet.of(State.STABLE));

    /** A change of state: what it was, what it is, since when the failover ran, and the primaries. */
    record Transition(State from, State to, long failoverNanos, HostSpec oldPrimary, HostSpec newPrimary) {
    }

    private final long timeoutNanos;
    private State state = State.INITIAL;
    private long startedAt;
    private HostSpec primary;
    private HostSpec lostPrimary;

    FailoverTracker(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    State state() {
        return state;
    }

    /** Feeds one snapshot's write target; returns the transition it causes, or null. */
    Transition observe(WriteTarget target, long nowNanos) {
        if (target.isOk()) {
            HostSpec now = target.node().host();
            switch (state) {
                case INITIAL:
                    primary = now;
                    return move(State.STABLE, 0, null, now);
                case FAILING_OVER:
                case FAILED:
                    primary = now;
                    return move(State.STABLE, nowNanos - startedAt, lostPrimary, now);
                default:
                    primary = now;
                    return null;
            }
        }
        switch (state) {
            case STABLE:
                startedAt = nowNanos;
                lostPrimary = primary;
                return move(State.FAILING_OVER, 0, lostPrimary, null);
            case FAILING_OVER:
                return nowNanos - startedAt > timeoutNanos ? move(State.FAILED, nowNanos - startedAt, lostPrimary, null) : null;
            default:
                return null;
        }
    }

    private Transition move(State to, long failoverNanos, HostSpec oldPrimary, HostSpec newPrimary) {
        if (!ALLOWED.get(state).contains(to)) {
            throw new IllegalStateException("failover state " + state + " cannot become " + to);
        }
        Transition t = new Transition(state, to, failoverNanos, oldPrimary, newPrimary);
        state = to;
        return t;
    }
}
