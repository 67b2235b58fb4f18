package org.pgha.testkit;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The result of {@link StalenessChecker#report(Duration)}. Immutable; violations are sorted by read
 * start, then key, then session.
 *
 * <p>{@link #isClean()} is false if any read was staler than the bound or missed its own session's
 * write. {@link #maxStaleness()} is reported whether or not it exceeds the bound, so a test can see
 * how close a run came to it.
 *
 * <p>Hazard: a clean report with few reads or writes proves little; check
 * {@link #readsChecked()} and {@link #writesRecorded()} too.
 *
 * @param readsChecked reads judged
 * @param writesRecorded acknowledged writes known to the checker, on all keys
 * @param bound the longest staleness allowed
 * @param staleReads reads that missed a write acknowledged more than {@code bound} before they began
 * @param readYourWritesViolations reads that missed a write of their own session acknowledged before
 *     they began
 * @param maxStaleness over all reads, the longest time between the acknowledgement of the earliest
 *     write a read missed and the start of that read (counting only writes acknowledged before the
 *     read began); zero if no read missed any
 */
public record StalenessReport(
        long readsChecked,
        long writesRecorded,
        Duration bound,
        List<StaleRead> staleReads,
        List<ReadYourWritesViolation> readYourWritesViolations,
        Duration maxStaleness) {

    /** How many violations of each kind the summary lists before eliding the rest. */
    static final int SUMMARY_ITEMS = 5;

    /**
     * A read staler than the bound.
     *
     * @param startedAtNanos when the read began, on the checker's clock
     * @param key the key read
     * @param seenSeq the sequence it saw (0: none)
     * @param requiredSeq the highest sequence acknowledged more than the bound before it began: the
     *     least it had to see
     * @param session the session that read
     * @param node the node that served it, or null if not recorded
     * @param staleness how long before the read began the earliest write it missed was acknowledged;
     *     greater than the bound
     */
    public record StaleRead(long startedAtNanos, long key, long seenSeq, long requiredSeq, String session,
            String node, Duration staleness) {

        @Override
        public String toString() {
            return "key " + key + " saw " + seenSeq + " needed " + requiredSeq + " (session " + session
                    + ", node " + (node == null ? "?" : node) + ", " + millis(staleness) + " stale)";
        }
    }

    /**
     * A read that missed a write its own session had seen acknowledged before the read began.
     *
     * @param startedAtNanos when the read began, on the checker's clock
     * @param key the key read
     * @param seenSeq the sequence it saw (0: none)
     * @param requiredSeq the session's own latest sequence on the key acknowledged before the read
     *     began
     * @param session the session that wrote and read
     * @param node the node that served the read, or null if not recorded
     */
    public record ReadYourWritesViolation(long startedAtNanos, long key, long seenSeq, long requiredSeq,
            String session, String node) {

        @Override
        public String toString() {
            return "key " + key + " saw " + seenSeq + " after writing " + requiredSeq + " (session " + session
                    + ", node " + (node == null ? "?" : node) + ")";
        }
    }

    /**
     * A report; the lists are copied, so the report is immutable. Normally built by
     * {@link StalenessChecker#report(Duration)}, which sorts the violations.
     *
     * @param readsChecked reads judged
     * @param writesRecorded acknowledged writes known to the checker
     * @param bound the longest staleness allowed
     * @param staleReads reads staler than the bound
     * @param readYourWritesViolations reads that missed their own session's write
     * @param maxStaleness the longest staleness of any read
     * @throws NullPointerException if a list, an element, the bound or the maximum is null
     */
    public StalenessReport {
        if (bound == null || maxStaleness == null) {
            throw new NullPointerException("bound and maxStaleness must not be null");
        }
        staleReads = List.copyOf(staleReads);
        readYourWritesViolations = List.copyOf(readYourWritesViolations);
    }

    /**
     * Whether every read respected the bound and read its own session's writes.
     *
     * @return true if there are no stale reads and no read-your-writes violations
     */
    public boolean isClean() {
        return staleReads.isEmpty() && readYourWritesViolations.isEmpty();
    }

    /**
     * One line for a test failure message or a log, such as {@code staleness: 5321 reads, 1200 writes,
     * bound 1000 ms, 0 stale, 0 read-your-writes violations, max staleness 312 ms}, followed by the
     * first {@value #SUMMARY_ITEMS} violations of each kind.
     *
     * @return the summary
     */
    public String summary() {
        StringBuilder sb = new StringBuilder("staleness: ")
                .append(readsChecked).append(" reads, ")
                .append(writesRecorded).append(" writes, bound ")
                .append(millis(bound)).append(", ")
                .append(staleReads.size()).append(" stale, ")
                .append(readYourWritesViolations.size()).append(" read-your-writes violations, max staleness ")
                .append(millis(maxStaleness));
        appendItems(sb, "stale", staleReads);
        appendItems(sb, "read-your-writes", readYourWritesViolations);
        return sb.toString();
    }

    private static void appendItems(StringBuilder sb, String kind, List<?> items) {
        if (items.isEmpty()) {
            return;
        }
        sb.append(" | ").append(kind).append(": ")
                .append(items.stream().limit(SUMMARY_ITEMS).map(String::valueOf).collect(Collectors.joining("; ")));
        if (items.size() > SUMMARY_ITEMS) {
            sb.append("; ... (").append(items.size() - SUMMARY_ITEMS).append(" more)");
        }
    }

    /** Milliseconds, exact: "1000 ms", "0.5 ms", "0.000001 ms". */
    static String millis(Duration d) {
        BigDecimal ms = new BigDecimal(d.getSeconds()).movePointRight(3)
                .add(BigDecimal.valueOf(d.getNano()).movePointLeft(6));
        ms = ms.stripTrailingZeros();
        return (ms.scale() < 0 ? ms.setScale(0) : ms).toPlainString() + " ms";
    }

    /**
     * The {@linkplain #summary() summary}.
     *
     * @return the summary
     */
    @Override
    public String toString() {
        return summary();
    }
}
