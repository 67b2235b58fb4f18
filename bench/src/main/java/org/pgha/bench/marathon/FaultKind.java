package org.pgha.bench.marathon;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The faults the marathon injects; each ends with the cluster whole again (a primary, a synchronous and an asynchronous standby). */
public enum FaultKind {
    /** SIGKILL on the primary; after the manager's delay the synchronous standby is promoted; the old primary rejoins. */
    CRASH("the primary is killed; the synchronous standby is promoted"),
    /** SIGSTOP on the primary; the synchronous standby is promoted; the hung node is then killed (a watchdog) and rejoins. */
    HANG("the primary hangs (SIGSTOP), the synchronous standby is promoted, the hung node is killed"),
    /** The primary's link to the application swallows every byte for a while, then heals. No promotion. */
    BLACK_HOLE("the primary's link swallows every byte for 1.5 to 3 s, then heals; no promotion"),
    /** Every connection of the application to the primary, then to a standby, is reset (TCP RST), three times each. */
    RESETS("every connection to the primary, then to a standby, is reset, three times each"),
    /** A planned switchover: the primary shuts down cleanly and the synchronous standby is promoted at once. */
    SWITCHOVER("planned switchover: a clean shutdown, then the synchronous standby is promoted"),
    /** The synchronous standby is promoted while the old primary keeps running, reachable, on its old timeline. */
    OLD_PRIMARY_RUNS("the synchronous standby is promoted while the old primary runs on, reachable"),
    /** The primary is cut off from the application, a standby is promoted, then the old primary is reachable again. */
    PARTITION("the primary is cut off, a standby is promoted, the old primary comes back into view"),
    /** A standby's replay is paused for two to three times maxReplicaLag, then resumed. */
    REPLAY_PAUSED("a standby's replay is paused past maxReplicaLag, then resumed"),
    /** Every standby is down (killed or stopped) for a while, then starts again. */
    REPLICAS_DOWN("every standby is down for 1.5 to 3 s"),
    /** Every node is killed, then all start again on their data. */
    TOTAL_OUTAGE("every node is killed, then all start again"),
    /** The primary crashes; right after the promotion, before anything settled, the new primary crashes too. */
    DOUBLE_FAILOVER("a crash, and a crash of the new primary right after its promotion");

    private final String description;

    FaultKind(String description) {
        this.description = description;
    }

    /** What the fault does, in a few words. */
    public String description() {
        return description;
    }

    /** The name used on the command line: {@code double-failover} for {@link #DOUBLE_FAILOVER}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * The fault of a command-line name.
     *
     * @throws IllegalArgumentException naming the value and the known names
     */
    public static FaultKind parse(String label) {
        for (FaultKind kind : values()) {
            if (kind.label().equals(label.trim())) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown fault '" + label + "'; known: "
                + Arrays.stream(values()).map(FaultKind::label).collect(Collectors.joining(", ")));
    }
}
