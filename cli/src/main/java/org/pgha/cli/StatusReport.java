package org.pgha.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.pgha.driver.ClusterStatus;
import org.pgha.driver.PghaProperty;

/**
 * What {@code pgha status} prints: where writes go, which nodes serve reads within the bound,
 * and one line per member with its role, state, timeline, lag in time (as read routing bounds
 * it) and in bytes, and why it serves no reads.
 *
 * @param cluster the cluster's name, as in pgha's log lines
 * @param maxReplicaLag the URL's bound
 * @param status the monitor's snapshot
 * @param reads per member, in the snapshot's order: null if it serves reads within the bound,
 *     else why not
 */
record StatusReport(String cluster, Duration maxReplicaLag, ClusterStatus status, List<String> reads) {

    static StatusReport of(ClusterSession session) {
        ClusterSession.Snapshot snapshot = session.snapshot();
        return new StatusReport(session.config.clusterKey(), session.config.duration(PghaProperty.MAX_REPLICA_LAG),
                snapshot.status(), snapshot.reads());
    }

    /**
     * The exit code: {@link Pgha#UNREACHABLE} if no member answered, {@link Pgha#PROBLEM} if
     * writes have no primary, {@link Pgha#WARNING} if a member is down or refused or no replica
     * serves reads within the bound, else {@link Pgha#OK}.
     */
    int exitCode() {
        if (status.nodes().stream().noneMatch(ClusterStatus.Node::up)) {
            return Pgha.UNREACHABLE;
        }
        if (status.writes() != ClusterStatus.Writes.PRIMARY) {
            return Pgha.PROBLEM;
        }
        boolean degraded = status.nodes().stream().anyMatch(n -> !n.up() || n.refused());
        return degraded || readable().isEmpty() ? Pgha.WARNING : Pgha.OK;
    }

    /** The members that serve reads within the bound. */
    List<String> readable() {
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < status.nodes().size(); i++) {
            if (reads.get(i) == null) {
                hosts.add(status.nodes().get(i).host());
            }
        }
        return hosts;
    }

    /** Prints the report and returns the exit code. */
    int print(PrintStream out) {
        out.print(text());
        return exitCode();
    }

    String text() {
        StringBuilder s = new StringBuilder();
        s.append("cluster  ").append(cluster).append(" at ").append(status.at()).append('\n');
        s.append("writes   ").append(writes()).append('\n');
        List<String> readable = readable();
        s.append("reads    within maxReplicaLag ").append(PghaProperty.formatDuration(maxReplicaLag)).append(": ")
                .append(readable.isEmpty() ? "none (reads go to the primary, or fail with readFallback=fail)"
                        : String.join(", ", readable))
                .append('\n').append('\n');
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"MEMBER", "ROLE", "STATE", "TIMELINE", "LAG", "BEHIND", "READS"});
        for (int i = 0; i < status.nodes().size(); i++) {
            ClusterStatus.Node n = status.nodes().get(i);
            rows.add(new String[] {n.host(), role(n), state(n), n.timeline() == 0 ? "-" : Integer.toString(n.timeline()),
                n.lag() == null ? "-" : millis(n.lag()), n.lagBytes() == null ? "-" : bytes(n.lagBytes()), reads(n, i)});
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int c = 0; c < row.length - 1; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                line.append(c == row.length - 1 ? row[c] : pad(row[c], widths[c] + 2));
            }
            s.append(line.toString().stripTrailing()).append('\n');
        }
        return s.toString();
    }

    private String writes() {
        return switch (status.writes()) {
            case PRIMARY -> {
                ClusterStatus.Node primary = status.nodes().stream().filter(n -> n.host().equals(status.primary()))
                        .findFirst().orElseThrow();
                yield status.primary() + " (primary, timeline " + primary.timeline() + ")";
            }
            case NO_PRIMARY -> "none: no member is up and primary (a failover under way, or the cluster down);"
                    + " writes wait up to failoverTimeout";
            case SPLIT_BRAIN -> "refused: two primaries on the highest timeline (split brain); fence one";
            case HISTORY_DIVERGED -> "refused: the only primary lacks writes a newer primary took (history diverged);"
                    + " see docs/guarantees.md";
        };
    }

    private String reads(ClusterStatus.Node n, int i) {
        if (n.host().equals(status.primary())) {
            return "takes writes";
        }
        String why = reads.get(i);
        return why == null ? "yes" : "no: " + why;
    }

    private static String role(ClusterStatus.Node n) {
        return switch (n.role()) {
            case PRIMARY -> "primary";
            case REPLICA -> "replica";
            case UNKNOWN -> "unknown";
        };
    }

    private static String state(ClusterStatus.Node n) {
        if (n.refused()) {
            return "refused";
        }
        if (!n.up()) {
            return "down";
        }
        return n.drained() ? "drained" : "up";
    }

    static String millis(Duration d) {
        long ms = d.toMillis();
        return ms < 10_000 ? ms + " ms" : String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    static String bytes(long b) {
        if (b < 10_000) {
            return b + " B";
        }
        if (b < 10_000_000) {
            return (b / 1024) + " kB";
        }
        return (b / (1024 * 1024)) + " MB";
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text : text + " ".repeat(width - text.length());
    }
}
