package org.pgha.samples.demo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pgha.testkit.LedgerReport;
import org.pgha.testkit.StalenessReport;

/** What the demo saw, and its report. */
final class DemoResult {

    enum EventType { FAULT, PROMOTION, REPOINT, REJOIN }

    /** Something the demo did to the cluster, on the load's clock. */
    record Event(long nanos, EventType type, String label) {
    }

    /**
     * One failover.
     *
     * @param writeGapNanos the longest time without an acknowledged write, from 1 s before the
     *     fault to the first write acknowledged after the promotion began
     * @param firstWriteAfterNanos the first write acknowledged after the promotion began; -1 if none
     * @param readGapNanos the longest time without a successful chart read, from 1 s before the
     *     fault to 1 s after the first write after the promotion
     */
    record Failover(Event fault, Event promotion, long writeGapNanos, long firstWriteAfterNanos, long readGapNanos) {

        /** From the start of the promotion to the first write acknowledged, in seconds. */
        double afterPromotionSeconds() {
            return (firstWriteAfterNanos - promotion.nanos()) / 1e9;
        }
    }

    final DemoLoad load;
    final List<Event> events;
    final long endedNanos;
    final LedgerReport registrations;
    final LedgerReport labResults;
    final StalenessReport staleness;
    final Map<String, long[]> statementsByNode;
    final Path output;
    final PrometheusScrape meters;
    final List<Failover> failovers = new ArrayList<>();

    DemoResult(DemoLoad load, List<Event> events, long endedNanos, LedgerReport registrations, LedgerReport labResults,
               StalenessReport staleness, Map<String, long[]> statementsByNode, PrometheusScrape meters, Path output) {
        this.meters = meters;
        this.load = load;
        this.events = List.copyOf(events);
        this.endedNanos = endedNanos;
        this.registrations = registrations;
        this.labResults = labResults;
        this.staleness = staleness;
        this.statementsByNode = statementsByNode;
        this.output = output;
        long[] acks = load.writeAcks();
        for (int i = 0; i < events.size(); i++) {
            Event fault = events.get(i);
            if (fault.type() != EventType.FAULT) {
                continue;
            }
            Event promotion = events.stream().skip(i).filter(e -> e.type() == EventType.PROMOTION).findFirst().orElse(null);
            if (promotion == null) {
                continue;
            }
            long from = fault.nanos() - 1_000_000_000L;
            long previous = from;
            long gap = 0;
            long after = -1;
            for (long ack : acks) {
                if (ack < from) {
                    continue;
                }
                gap = Math.max(gap, ack - previous);
                previous = ack;
                if (ack >= promotion.nanos()) {
                    after = ack;
                    break;
                }
            }
            long until = Math.max(after, promotion.nanos()) + 1_000_000_000L;
            failovers.add(new Failover(fault, promotion, gap, after, longestGap(load.chartReads(), from, until)));
        }
    }

    /** The longest time in {@code [from, until]} between two of the sorted {@code times} or an end of it. */
    static long longestGap(long[] times, long from, long until) {
        long previous = from;
        long gap = 0;
        for (long t : times) {
            if (t < from) {
                continue;
            }
            if (t > until) {
                break;
            }
            gap = Math.max(gap, t - previous);
            previous = t;
        }
        return Math.max(gap, until - previous);
    }

    /** The longest pause of chart reads around any failover, in seconds. */
    double longestReadGapSeconds() {
        return failovers.stream().mapToLong(Failover::readGapNanos).max().orElse(0) / 1e9;
    }

    /**
     * Nothing lost, nothing doubled, no read staler than the bound, and pgha's meters, as
     * Prometheus scraped them, agree: every failover completed, none failed, every transaction
     * a failover cut was replayed, every lost commit answer found.
     */
    boolean clean() {
        return registrations.isClean() && labResults.isClean() && staleness.isClean()
                && failovers.stream().allMatch(f -> f.firstWriteAfterNanos() >= 0) && metersAgree();
    }

    /** Failovers pgha completed, as scraped (each promotion the demo made is one at least). */
    double failoversCompleted() {
        return meters.sum("pgha_failover_duration_seconds_count");
    }

    /** Transactions a failover cut that were not replayed, as scraped: each was an error for the application. */
    double replaysUnsuccessful() {
        return replays("mismatch") + replays("not_replayable") + replays("failed");
    }

    double replays(String result) {
        return meters.sum("pgha_transaction_replays_total", Map.of("result", result));
    }

    double commits(String result) {
        return meters.sum("pgha_commit_resolutions_total", Map.of("result", result));
    }

    /**
     * A fault that left the cluster without a primary this long (the crash: the failover
     * manager waits a second before it promotes) is a failover pgha's meters must count; a
     * switchover's promotion may follow the stop so closely that pgha sees the write target
     * move to the newer timeline without a moment lacking a primary, which is no failover.
     */
    static final long SURELY_WITHOUT_PRIMARY_NANOS = 500_000_000L;

    /** The failovers pgha must have counted: those whose promotion came long after the fault. */
    long failoversExpected() {
        return failovers.stream()
                .filter(f -> f.promotion().nanos() - f.fault().nanos() >= SURELY_WITHOUT_PRIMARY_NANOS).count();
    }

    /** What the scrape must show after the demo's failovers (a missing meter is NaN and fails every test). */
    boolean metersAgree() {
        return failoversCompleted() >= failoversExpected() && meters.sum("pgha_failovers_failed_total") == 0
                && !Double.isNaN(replays("replayed")) && replaysUnsuccessful() == 0 && commits("unknown") == 0
                && meters.sum("pgha_history_diverged_total") == 0;
    }

    long failedRequests() {
        long failed = 0;
        for (DemoLoad.Kind kind : DemoLoad.Kind.values()) {
            failed += load.total(kind, false);
        }
        return failed;
    }

    String report() {
        StringBuilder r = new StringBuilder();
        r.append(String.format("pgha failover demo: the EHR sample on a 3-node cluster, %.1f s of load%n%n",
                load.seconds(endedNanos)));
        r.append(String.format("%-22s %10s %8s %12s%n", "requests", "ok", "failed", "slowest"));
        for (DemoLoad.Kind kind : DemoLoad.Kind.values()) {
            r.append(String.format("  %-20s %10d %8d %9d ms%n", kind.label, load.total(kind, true), load.total(kind, false),
                    load.slowestMillis(kind)));
        }
        for (DemoLoad.Kind kind : DemoLoad.Kind.values()) {
            for (String failure : load.failures(kind)) {
                r.append("    ").append(kind.label).append(" failed at ").append(failure).append('\n');
            }
        }
        r.append("\nfailovers\n");
        for (Failover f : failovers) {
            if (f.firstWriteAfterNanos() < 0) {
                r.append(String.format("  %-24s at %5.1f s: no write succeeded afterwards%n", f.fault().label(),
                        load.seconds(f.fault().nanos())));
                continue;
            }
            r.append(String.format("  %-24s at %5.1f s, %s at %5.1f s:%n      no write for %.2f s,"
                            + " first write %.2f s after the promotion began; no chart read for %.2f s%n",
                    f.fault().label(), load.seconds(f.fault().nanos()), f.promotion().label(),
                    load.seconds(f.promotion().nanos()), f.writeGapNanos() / 1e9, f.afterPromotionSeconds(),
                    f.readGapNanos() / 1e9));
        }
        r.append(String.format("%nPrometheus (/actuator/prometheus, scraped once after the failovers)%n"
                        + "  failovers completed %.0f (%.2f s without a primary in all), failed %.0f%n"
                        + "  transactions replayed %.0f; not replayed: mismatch %.0f, not_replayable %.0f, failed %.0f%n"
                        + "  lost commit answers: committed %.0f, rolled_back %.0f, unknown %.0f; statements retried %.0f%n",
                failoversCompleted(), meters.sum("pgha_failover_duration_seconds_sum"),
                meters.sum("pgha_failovers_failed_total"), replays("replayed"), replays("mismatch"),
                replays("not_replayable"), replays("failed"), commits("committed"), commits("rolled_back"),
                commits("unknown"), meters.sum("pgha_retries_total")));
        if (!metersAgree()) {
            r.append(String.format("  DISAGREES: expected at least %d failovers completed and none failed, every cut"
                    + " transaction replayed, no unknown commit outcome, no diverged history%n", failoversExpected()));
        }
        r.append("\nstatements by node (role at the time)\n");
        statementsByNode.forEach((node, counts) -> r.append(String.format("  %-8s %8d as primary %8d as replica%n",
                node, counts[0], counts[1])));
        r.append("\nledger\n");
        r.append(ledgerLine("registrations", registrations));
        r.append(ledgerLine("lab results", labResults));
        r.append(String.format("%nstaleness (bound %d ms): %d chart reads checked, %d staler than the bound,"
                        + " longest staleness %d ms%n", staleness.bound().toMillis(), staleness.readsChecked(),
                staleness.staleReads().size(), staleness.maxStaleness().toMillis()));
        if (!staleness.isClean()) {
            r.append(staleness.summary()).append('\n');
        }
        r.append("\npicture: ").append(output.resolve("failover-demo.png")).append('\n');
        r.append(clean() ? "RESULT: nothing lost, nothing doubled, no read staler than the bound\n"
                : "RESULT: FAILED (see above)\n");
        return r.toString();
    }

    private static String ledgerLine(String what, LedgerReport report) {
        String line = String.format("  %-14s %6d acknowledged, %d lost, %d duplicated%n", what, report.acknowledged(),
                report.lost().size(), report.duplicated().size());
        return report.isClean() ? line : line + "    " + report.summary() + "\n";
    }
}
