package org.pgha.testkit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The result of checking a {@link Ledger} against its table. Immutable; its lists are sorted by id.
 *
 * <p>Violations, each of which makes {@link #isClean()} false:
 * <ul>
 *   <li>{@link #lost()}: acknowledged, yet absent. The database told the application "committed"
 *       and then forgot it.
 *   <li>{@link #duplicated()}: present more than once, whatever the recorded outcome (typically an
 *       unknown outcome retried blindly).
 *   <li>{@link #ghosts()}: recorded as failed, yet present. The application was told "no", so it
 *       would retry and double the write.
 *   <li>{@link #unexpected()}: present, yet never issued by this ledger (leftover rows of another
 *       run, or another writer on the same table).
 * </ul>
 * Unknown and pending ids present once or absent are information, not violations.
 *
 * <p>Hazard: a report is only as good as the outcomes recorded. A write recorded as unknown can
 * never be reported lost, so a driver that calls every error "unknown" passes vacuously; look at
 * the unknown and pending counts, not just {@link #isClean()}.
 *
 * @param attempted ids issued by the ledger, whatever their outcome
 * @param acknowledged ids recorded as acknowledged
 * @param failed ids recorded as failed
 * @param unknown ids recorded as unknown
 * @param pending ids issued with no outcome recorded (in flight, or the caller never recorded one)
 * @param lost acknowledged ids absent from the table
 * @param duplicated ids present more than once, with their row counts
 * @param ghosts failed ids present in the table
 * @param unexpected ids present in the table that the ledger never issued
 * @param unknownPresent unknown ids present in the table (they committed)
 * @param unknownAbsent unknown ids absent from the table (they did not commit)
 * @param pendingPresent pending ids present in the table
 */
public record LedgerReport(
        long attempted,
        long acknowledged,
        long failed,
        long unknown,
        long pending,
        List<Long> lost,
        List<Duplicate> duplicated,
        List<Long> ghosts,
        List<Long> unexpected,
        long unknownPresent,
        long unknownAbsent,
        long pendingPresent) {

    /** How many offending ids the summary lists per kind before eliding the rest. */
    static final int SUMMARY_IDS = 10;

    /**
     * An id found in more than one row.
     *
     * @param id the id
     * @param copies the number of rows carrying it; at least 2
     */
    public record Duplicate(long id, long copies) {

        /**
         * A duplicate.
         *
         * @param id the id
         * @param copies the number of rows carrying it
         * @throws IllegalArgumentException if {@code copies} is below 2
         */
        public Duplicate {
            if (copies < 2) {
                throw new IllegalArgumentException("a duplicate has at least 2 copies, got " + copies + " for id " + id);
            }
        }

        @Override
        public String toString() {
            return id + " x" + copies;
        }
    }

    /**
     * A report; the lists are copied and sorted by id, so the report is immutable and its order
     * deterministic. Normally built by {@link Ledger#compare(java.util.Map)}.
     *
     * @param attempted ids issued by the ledger
     * @param acknowledged ids recorded as acknowledged
     * @param failed ids recorded as failed
     * @param unknown ids recorded as unknown
     * @param pending ids issued with no outcome recorded
     * @param lost acknowledged ids absent from the table
     * @param duplicated ids present more than once
     * @param ghosts failed ids present in the table
     * @param unexpected ids present that the ledger never issued
     * @param unknownPresent unknown ids present in the table
     * @param unknownAbsent unknown ids absent from the table
     * @param pendingPresent pending ids present in the table
     * @throws NullPointerException if a list or an element is null
     */
    public LedgerReport {
        lost = sorted(lost);
        ghosts = sorted(ghosts);
        unexpected = sorted(unexpected);
        List<Duplicate> d = new ArrayList<>(duplicated);
        d.sort(Comparator.comparingLong(Duplicate::id));
        duplicated = List.copyOf(d);
    }

    private static List<Long> sorted(List<Long> ids) {
        List<Long> copy = new ArrayList<>(ids);
        copy.sort(null);
        return List.copyOf(copy);
    }

    /**
     * Whether the table agrees with the ledger: nothing lost, duplicated, ghosted or unexpected.
     *
     * @return true if there is no violation
     */
    public boolean isClean() {
        return lost.isEmpty() && duplicated.isEmpty() && ghosts.isEmpty() && unexpected.isEmpty();
    }

    /**
     * One line for a test failure message or a log, such as {@code ledger: 1200 acknowledged, 0 lost,
     * 0 duplicated, 0 ghosts, 0 unexpected; 3 unknown (2 committed, 1 not); 4 failed; 0 pending;
     * 1207 attempted}, followed, when there are violations, by the first
     * {@value #SUMMARY_IDS} offending ids of each kind.
     *
     * @return the summary
     */
    public String summary() {
        StringBuilder sb = new StringBuilder("ledger: ")
                .append(acknowledged).append(" acknowledged, ")
                .append(lost.size()).append(" lost, ")
                .append(duplicated.size()).append(" duplicated, ")
                .append(ghosts.size()).append(" ghosts, ")
                .append(unexpected.size()).append(" unexpected; ")
                .append(unknown).append(" unknown (").append(unknownPresent).append(" committed, ")
                .append(unknownAbsent).append(" not); ")
                .append(failed).append(" failed; ")
                .append(pending).append(" pending");
        if (pending > 0) {
            sb.append(" (").append(pendingPresent).append(" committed, ")
                    .append(pending - pendingPresent).append(" not)");
        }
        sb.append("; ").append(attempted).append(" attempted");
        appendIds(sb, "lost", lost);
        appendIds(sb, "duplicated", duplicated);
        appendIds(sb, "ghosts", ghosts);
        appendIds(sb, "unexpected", unexpected);
        return sb.toString();
    }

    private static void appendIds(StringBuilder sb, String kind, List<?> ids) {
        if (ids.isEmpty()) {
            return;
        }
        sb.append(" | ").append(kind).append(": ")
                .append(ids.stream().limit(SUMMARY_IDS).map(String::valueOf).collect(Collectors.joining(", ")));
        if (ids.size() > SUMMARY_IDS) {
            sb.append(", ... (").append(ids.size() - SUMMARY_IDS).append(" more)");
        }
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
