package org.pgha.bench.marathon;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.pgha.testkit.LedgerReport;
import org.pgha.testkit.StalenessReport;

/**
 * What one fault did to the application.
 *
 * @param fault the planned fault
 * @param detail what the "failover manager" did
 * @param writeGapSeconds the longest time without an acknowledged write, from the fault to the end of the round
 * @param firstWriteSeconds the first acknowledged write after the promotion began; NaN without a promotion
 *     (or without a write)
 * @param readGapSeconds the longest time without a successful read, from the fault to the end of the round
 * @param documented exceptions the guarantees let the application see, by operation and SQLState
 * @param undocumented every other exception, by operation and SQLState (or class)
 * @param examples stack traces of the first undocumented exceptions
 * @param documentedExamples the messages of the first documented exceptions
 * @param ledger the round's writes against the primary's table
 * @param keysBehind keys whose value on the primary is older than one acknowledged
 * @param staleness the round's reads against {@code maxReplicaLag} and read-your-writes
 * @param fenced what an old primary left running held only there, or null
 * @param sample the process and server connections after the round, load paused
 * @param problems everything that makes the run fail; empty if the round is clean
 */
record RoundReport(PlannedFault fault, String detail, double writeGapSeconds, double firstWriteSeconds,
        double readGapSeconds, Map<String, Long> documented, Map<String, Long> undocumented, List<String> examples,
        List<String> documentedExamples, LedgerReport ledger, List<String> keysBehind, StalenessReport staleness, Chaos.FencedWrites fenced,
        Sample sample, List<String> problems) {

    static RoundReport of(PlannedFault fault, Chaos.Injected injected, MarathonLoad.Round round,
            MarathonLoad.Verification verification, Sample sample, long endedAt, List<String> extraProblems,
            int serverConnectionLimit) {
        double writeGap = longestGap(round.writes, injected.faultAt(), endedAt);
        double readGap = longestGap(round.reads, injected.faultAt(), endedAt);
        double first = Double.NaN;
        if (injected.promotedAt() >= 0) {
            first = round.writes.stream().mapToLong(Long::longValue).filter(t -> t >= injected.promotedAt()).min()
                    .stream().mapToDouble(t -> (t - injected.promotedAt()) / 1e9).findFirst().orElse(Double.NaN);
        }
        Map<String, Long> documented = MarathonLoad.Round.counts(round.documented);
        Map<String, Long> undocumented = MarathonLoad.Round.counts(round.undocumented);
        List<String> problems = new ArrayList<>(extraProblems);
        if (!verification.ledger().isClean()) {
            problems.add(verification.ledger().summary());
        }
        if (!verification.keysBehind().isEmpty()) {
            problems.add("acknowledged writes missing on the primary: " + verification.keysBehind());
        }
        if (!verification.staleness().isClean()) {
            problems.add(verification.staleness().summary());
        }
        if (!undocumented.isEmpty()) {
            problems.add("exceptions outside the documented ones: " + undocumented);
        }
        Chaos.FencedWrites fenced = injected.fenced();
        if (fenced != null && fenced.acknowledged() > 0) {
            problems.add(fenced.acknowledged() + " acknowledged writes were committed on the fenced primary "
                    + fenced.node() + " only");
        }
        if (sample.journalEntries() > 0) {
            problems.add(sample.journalEntries() + " transaction journal entries are held while no transaction runs");
        }
        if (sample.maxServerConnections() > serverConnectionLimit) {
            problems.add("more server connections on a node than the pools and monitors may open ("
                    + serverConnectionLimit + "): " + sample.serverConnections());
        }
        return new RoundReport(fault, injected.detail(), writeGap, first, readGap, documented, undocumented,
                List.copyOf(round.examples), List.copyOf(round.documentedExamples), verification.ledger(), verification.keysBehind(),
                verification.staleness(), fenced, sample, List.copyOf(problems));
    }

    /** The longest interval in [from, to] without one of the given times. */
    static double longestGap(Collection<Long> times, long from, long to) {
        long[] sorted = times.stream().mapToLong(Long::longValue).filter(t -> t >= from && t <= to).sorted().toArray();
        long previous = from;
        long gap = 0;
        for (long t : sorted) {
            gap = Math.max(gap, t - previous);
            previous = t;
        }
        return Math.max(gap, to - previous) / 1e9;
    }

    boolean clean() {
        return problems.isEmpty();
    }

    String text() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("fault %d %s: %s%n", fault.number(), fault.kind().label(), detail));
        sb.append(String.format("  write gap %.2f s, first write after the promotion %s, read gap %.2f s%n", writeGapSeconds,
                Double.isNaN(firstWriteSeconds) ? "-" : String.format("%.3f s", firstWriteSeconds), readGapSeconds));
        sb.append("  exceptions: ").append(documented.isEmpty() ? "none documented" : "documented " + documented)
                .append(undocumented.isEmpty() ? ", none other" : ", OTHER " + undocumented).append('\n');
        for (String example : documentedExamples) {
            sb.append("    ").append(example).append('\n');
        }
        sb.append("  ").append(ledger.summary()).append('\n');
        sb.append("  ").append(staleness.summary()).append('\n');
        if (fenced != null) {
            sb.append(String.format("  fenced primary %s: %d rows committed there only, %d of them acknowledged%n",
                    fenced.node(), fenced.rows(), fenced.acknowledged()));
        }
        sb.append("  ").append(sample.describe()).append('\n');
        for (String problem : problems) {
            sb.append("  PROBLEM: ").append(problem).append('\n');
        }
        for (String example : examples) {
            sb.append("  ").append(example.replace("\n", "\n    ")).append('\n');
        }
        return sb.toString();
    }

    static String tableHeader() {
        return "| # | fault | write gap | first write after promotion | read gap | documented exceptions | other exceptions"
                + " | lost | doubled | on fenced primary | stale reads | read-your-writes misses | max staleness |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|";
    }

    String tableRow() {
        return String.format("| %d | %s | %.2f s | %s | %.2f s | %s | %s | %d | %d | %s | %d | %d | %d ms |", fault.number(),
                fault.kind().label(), writeGapSeconds,
                Double.isNaN(firstWriteSeconds) ? "-" : String.format("%.3f s", firstWriteSeconds), readGapSeconds,
                compact(documented), compact(undocumented), ledger.lost().size() + keysBehind.size(),
                ledger.duplicated().size(), fenced == null ? "-" : String.valueOf(fenced.acknowledged()),
                staleness.staleReads().size(), staleness.readYourWritesViolations().size(),
                staleness.maxStaleness().toMillis());
    }

    /** The totals of a run: gaps as maxima, everything else summed. */
    static String totalRow(List<RoundReport> rounds) {
        Map<String, Long> documented = new TreeMap<>();
        Map<String, Long> undocumented = new TreeMap<>();
        rounds.forEach(r -> {
            r.documented().forEach((k, v) -> documented.merge(k, v, Long::sum));
            r.undocumented().forEach((k, v) -> undocumented.merge(k, v, Long::sum));
        });
        double firstWrite = rounds.stream().mapToDouble(RoundReport::firstWriteSeconds).filter(d -> !Double.isNaN(d))
                .max().orElse(Double.NaN);
        return String.format("| all | %d faults | max %.2f s | max %s | max %.2f s | %s | %s | %d | %d | %d | %d | %d | %d ms |",
                rounds.size(), rounds.stream().mapToDouble(RoundReport::writeGapSeconds).max().orElse(0),
                Double.isNaN(firstWrite) ? "-" : String.format("%.3f s", firstWrite),
                rounds.stream().mapToDouble(RoundReport::readGapSeconds).max().orElse(0), compact(documented),
                compact(undocumented),
                rounds.stream().mapToLong(r -> r.ledger().lost().size() + r.keysBehind().size()).sum(),
                rounds.stream().mapToLong(r -> r.ledger().duplicated().size()).sum(),
                rounds.stream().filter(r -> r.fenced() != null).mapToLong(r -> r.fenced().acknowledged()).sum(),
                rounds.stream().mapToLong(r -> r.staleness().staleReads().size()).sum(),
                rounds.stream().mapToLong(r -> r.staleness().readYourWritesViolations().size()).sum(),
                rounds.stream().mapToLong(r -> r.staleness().maxStaleness().toMillis()).max().orElse(0));
    }

    private static String compact(Map<String, Long> counts) {
        return counts.isEmpty() ? "0" : counts.entrySet().stream().map(e -> e.getKey() + " x" + e.getValue())
                .collect(Collectors.joining(", "));
    }
}
