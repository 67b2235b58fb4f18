package org.pgha.driver.topology;

import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalLong;

/**
 * The replication-lag estimator: a short, immutable history of samples {@code (t_i, P_i)} of
 * one primary, where {@code t_i} is when the monitor <em>sent</em> its probe and {@code P_i} is
 * the primary's answer to {@code pg_current_wal_lsn()}.
 *
 * <h2>Why this and not {@code now() - pg_last_xact_replay_timestamp()}</h2>
 * The replay timestamp is the primary's commit time of the last replayed transaction: on an
 * idle primary it grows old although the replica misses nothing, and it compares two machines'
 * wall clocks. The samples need neither: one monotonic clock in this JVM and LSN order.
 *
 * <h2>The estimate</h2>
 * The probe sent at {@code t_i} is executed after every commit acknowledged before {@code t_i}
 * returned, so each such commit's WAL record ends at or below {@code P_i}. A replica that has
 * replayed up to {@code L} therefore holds every write acknowledged before {@code t_j}, where
 * {@code j} is the latest sample with {@code P_j <= L}. Its <em>conservative lag</em> at
 * {@code now} is {@code now - t_j}; if no retained sample has {@code P_j <= L} it is unknown,
 * reported as {@link Long#MAX_VALUE} (infinitely stale).
 *
 * <p><b>Guarantee.</b> A read routed at {@code now} to a replica whose conservative lag is at
 * most {@code B} sees every write acknowledged strictly before {@code now - B}: such a write was
 * acknowledged before {@code t_j}, so its record lies below {@code P_j <= L}. The estimate is an
 * upper bound of the true lag and includes the probe interval: a fully caught-up replica shows
 * {@code now - t_latest}, up to one probe interval plus the probe's round trip. So {@code B}
 * must exceed the probe interval, or replicas are eligible only just after a probe.
 *
 * <h2>Hazards (the caller's side of the contract)</h2>
 * <ul>
 *   <li>All times are on one monotonic nanosecond clock ({@code System.nanoTime()} of this JVM):
 *       probe send times here, the routing {@code now}, a session's write acknowledgement time.
 *       They are compared only by difference ({@code a - b > 0}), as {@code nanoTime} requires,
 *       so they must lie within 2<sup>63</sup> ns of each other.
 *   <li>{@code t_i} must be taken <em>before</em> the probe is sent, and a write's
 *       acknowledgement time <em>after</em> its commit returned; the other way round breaks the
 *       guarantee.
 *   <li>{@code pg_current_wal_lsn()} is the WAL <em>write</em> position. A commit with
 *       {@code synchronous_commit = off} is acknowledged before its record is written, so it may
 *       lie above {@code P_i}. If any session may commit that way, sample
 *       {@code pg_current_wal_insert_lsn()} instead (always at or above every inserted record).
 *   <li>One history describes one primary on one timeline: LSNs of different timelines do not
 *       compare. {@link #with} rejects a decreasing LSN, which catches most mix-ups, but the
 *       monitor must start a new history whenever the primary or its timeline changes.
 *   <li>Dropping old samples (see below) can only turn an estimate into a larger one or into
 *       "unknown", never a smaller one: retention trades availability, never safety. Keep more
 *       than {@code maxReplicaLag} of history, or replicas within the bound may show as unknown.
 * </ul>
 *
 * <h2>Retention and cost</h2>
 * Each {@link #with} copies the retained samples (at most {@code maxSamples}, 256 by default)
 * and drops those sent more than {@code retentionNanos} (60 s by default) before the new one;
 * the newest sample is always kept. Queries are binary searches over primitive arrays:
 * O(log n), no allocation. Instances are immutable and safe to share between threads.
 */
public final class PrimaryHistory {

    /** Samples kept by {@link #empty()}. */
    public static final int DEFAULT_MAX_SAMPLES = 256;
    /** Retention of {@link #empty()}. */
    public static final Duration DEFAULT_RETENTION = Duration.ofSeconds(60);

    private static final PrimaryHistory EMPTY =
            new PrimaryHistory(DEFAULT_MAX_SAMPLES, DEFAULT_RETENTION.toNanos(), new long[0], new long[0]);

    private final int maxSamples;
    private final long retentionNanos;
    // Parallel arrays, oldest first: times strictly increasing (by difference), LSNs non-decreasing.
    // Never written after construction and never handed out.
    private final long[] sentAt;
    private final long[] lsns;

    private PrimaryHistory(int maxSamples, long retentionNanos, long[] sentAt, long[] lsns) {
        this.maxSamples = maxSamples;
        this.retentionNanos = retentionNanos;
        this.sentAt = sentAt;
        this.lsns = lsns;
    }

    /** An empty history keeping {@value #DEFAULT_MAX_SAMPLES} samples over 60 s at most. */
    public static PrimaryHistory empty() {
        return EMPTY;
    }

    /**
     * An empty history with its own limits.
     *
     * @param maxSamples samples kept at most, at least 1
     * @param retention samples sent longer than this before the newest one are dropped; positive
     * @throws IllegalArgumentException if a limit is out of range
     */
    public static PrimaryHistory empty(int maxSamples, Duration retention) {
        if (maxSamples < 1) {
            throw new IllegalArgumentException("maxSamples must be at least 1, not " + maxSamples);
        }
        if (retention == null || retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("retention must be positive, not " + retention);
        }
        long nanos;
        try {
            nanos = retention.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE;
        }
        return new PrimaryHistory(maxSamples, nanos, new long[0], new long[0]);
    }

    /**
     * This history plus one sample, as a new history (this one is unchanged); samples outside
     * the retention limits are dropped from the new one.
     *
     * @param sentAtNanos when the probe was sent; strictly after the latest sample's
     * @param lsn the primary's answer, a byte offset; not below the latest sample's
     * @throws IllegalArgumentException if the time does not increase, or if the LSN is negative
     *     or decreases: a decreasing LSN means another primary or timeline, whose history must
     *     start afresh from {@link #empty()}
     */
    public PrimaryHistory with(long sentAtNanos, long lsn) {
        if (lsn < 0) {
            throw new IllegalArgumentException("a primary sample needs a known LSN, not " + lsn);
        }
        int n = sentAt.length;
        if (n > 0) {
            if (sentAtNanos - sentAt[n - 1] <= 0) {
                throw new IllegalArgumentException("samples must be appended in increasing time: "
                        + sentAtNanos + " is not after " + sentAt[n - 1]);
            }
            if (lsn < lsns[n - 1]) {
                throw new IllegalArgumentException("primary LSN went back from " + Lsn.format(lsns[n - 1])
                        + " to " + Lsn.format(lsn) + ": another primary or timeline needs a new history");
            }
        }
        // First retained sample: within the retention of the new one, and within the count limit
        // (the new sample takes one place). Times increase, so the kept ones form a suffix.
        int first = Math.max(0, n - (maxSamples - 1));
        while (first < n && sentAtNanos - sentAt[first] > retentionNanos) {
            first++;
        }
        int kept = n - first;
        long[] newSentAt = Arrays.copyOfRange(sentAt, first, n + 1);
        long[] newLsns = Arrays.copyOfRange(lsns, first, n + 1);
        newSentAt[kept] = sentAtNanos;
        newLsns[kept] = lsn;
        return new PrimaryHistory(maxSamples, retentionNanos, newSentAt, newLsns);
    }

    /**
     * The conservative lag at {@code nowNanos} of a replica that has replayed up to
     * {@code replicaLsn}: {@code nowNanos - t_j} for the latest sample {@code j} with
     * {@code P_j <= replicaLsn} (so a replica at or past the latest sample has
     * {@code nowNanos - t_latest}). 0 if that sample was sent after {@code nowNanos} (a newer
     * snapshot than the caller's clock reading: the replica is then fresher than any bound).
     *
     * @return the lag in nanoseconds, or {@link Long#MAX_VALUE} if unknown: the history is empty,
     *     {@code replicaLsn} is negative (unknown), or it precedes every retained sample
     */
    public long conservativeLagNanos(long replicaLsn, long nowNanos) {
        int j = latestAtOrBelow(replicaLsn);
        if (j < 0) {
            return Long.MAX_VALUE;
        }
        long lag = nowNanos - sentAt[j];
        return lag < 0 ? 0 : lag;
    }

    /**
     * Whether a replica at {@code replicaLsn} is known to hold every write acknowledged at or
     * before {@code afterNanos}: true iff some sample {@code j} was sent strictly after
     * {@code afterNanos} and has {@code P_j <= replicaLsn}. This is read-your-writes without a
     * round trip to the primary. A sample sent at exactly {@code afterNanos} does not count: the
     * two clock readings may come from different threads and their order is unknown.
     */
    public boolean covers(long replicaLsn, long afterNanos) {
        // LSNs do not decrease while times increase, so the samples with P_j <= L are a prefix
        // and those sent after the write a suffix: they meet iff the prefix's last one is late enough.
        int j = latestAtOrBelow(replicaLsn);
        return j >= 0 && sentAt[j] - afterNanos > 0;
    }

    /**
     * The LSN of the earliest sample sent strictly after {@code afterNanos}: at or above the
     * commit record of every write acknowledged at or before {@code afterNanos}, so it turns a
     * write's acknowledgement time into a consistency token (a minimum replay LSN).
     *
     * @return empty if no sample was sent after {@code afterNanos} yet
     */
    public OptionalLong lsnSentAfter(long afterNanos) {
        // First index whose time is after afterNanos (times increase, so the predicate is monotone).
        int low = 0;
        int high = sentAt.length;
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (sentAt[mid] - afterNanos > 0) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return low < sentAt.length ? OptionalLong.of(lsns[low]) : OptionalLong.empty();
    }

    /** The latest sample's LSN, {@value Lsn#UNKNOWN} if the history is empty. */
    public long latestLsn() {
        return lsns.length == 0 ? Lsn.UNKNOWN : lsns[lsns.length - 1];
    }

    /**
     * When the latest sample was sent.
     *
     * @throws IllegalStateException if the history is empty (there is no time to return that
     *     could not be mistaken for one)
     */
    public long latestSentAtNanos() {
        if (sentAt.length == 0) {
            throw new IllegalStateException("the primary history is empty");
        }
        return sentAt[sentAt.length - 1];
    }

    /** The number of samples retained. */
    public int size() {
        return sentAt.length;
    }

    /** Whether there are no samples: every lag is then unknown. */
    public boolean isEmpty() {
        return sentAt.length == 0;
    }

    /** The index of the latest sample with {@code P_j <= lsn}, -1 if none. */
    private int latestAtOrBelow(long lsn) {
        if (lsn < 0) {
            return -1;
        }
        int low = 0;
        int high = lsns.length;
        // First index with P > lsn; the one before it is the answer.
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (lsns[mid] <= lsn) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low - 1;
    }

    @Override
    public String toString() {
        if (sentAt.length == 0) {
            return "PrimaryHistory[empty]";
        }
        return "PrimaryHistory[" + sentAt.length + " samples, " + Lsn.format(lsns[0]) + " at " + sentAt[0]
                + " .. " + Lsn.format(latestLsn()) + " at " + sentAt[sentAt.length - 1] + "]";
    }
}
