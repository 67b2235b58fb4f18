package org.pgha.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Checks that reads are not staler than a bound, and that every session reads its own writes.
 * Records, for every acknowledged write, when it was acknowledged, and for every read, when it began
 * and what it saw; {@link #report(Duration)} then judges all reads at once.
 *
 * <h2>Model</h2>
 * Values are versioned per key. Writes to one key carry strictly increasing sequence numbers
 * (1, 2, ...; gaps are allowed, for writes that failed) and <b>a key has one writer at a time</b>:
 * the next write to a key is sent only once the previous one was acknowledged. Acknowledgement
 * order is then commit order per key, so "the read saw sequence {@code n}" means it saw every write
 * to that key up to {@code n} and none after. A read of a key reports the highest sequence it saw,
 * 0 if none. Two writers racing on one key would break this model (their commit order need not be
 * their acknowledgement order); {@link #writeAcknowledged} rejects a sequence that does not
 * increase, which catches most such misuse.
 *
 * <h2>What is a violation</h2>
 * Let a read of key {@code k} begin at {@code s} and see sequence {@code seen}.
 * <ul>
 *   <li><b>Stale</b>: some write on {@code k} with sequence above {@code seen} was acknowledged
 *       strictly before {@code s - bound}. A write acknowledged exactly at {@code s - bound} is
 *       <em>not</em> required: a staleness equal to the bound is within the bound. The read's
 *       staleness is {@code s} minus the acknowledgement time of the earliest write it missed.
 *   <li><b>Read-your-writes</b>: a write on {@code k} by the read's own session with sequence above
 *       {@code seen} was acknowledged before {@code s}, whatever the bound.
 * </ul>
 *
 * <h2>Clock and hazards</h2>
 * <ul>
 *   <li>All times come from {@link #now()}, which is strictly increasing across all threads (a
 *       clock reading that does not move past the previous one is bumped by one nanosecond). So when
 *       one action happens before another, in one thread or through the database, its time is
 *       strictly smaller, and a session's write always precedes its next read.
 *   <li>A write's acknowledgement time is taken when {@link #writeAcknowledged} is called, a little
 *       after the commit really returned; a read's start is taken by the caller just before it is
 *       sent. Both errors make the checker lenient by that recording delay (microseconds), never
 *       strict: it does not raise false alarms for reads that were in fact concurrent with a write.
 *   <li>The bound is judged against the client's view. Time a read spends queued in the client
 *       before being sent counts as staleness the system is not to blame for; take the start as
 *       late as possible.
 *   <li>Memory: every write and read is kept (tens of bytes each) until the checker is dropped,
 *       or until {@link #reportAndForget(Duration)} lets go of what it judged: use that in a long
 *       run (a soak).
 * </ul>
 *
 * <p>Thread-safe: any number of threads may record writes and reads concurrently, and
 * {@link #report(Duration)} may be called at any time; it judges the reads recorded before it
 * started against all writes they could have depended on.
 */
public final class StalenessChecker {

    private final LongSupplier nanoClock;
    // Last value handed out by now(); Long.MIN_VALUE so the first reading is taken as is.
    private final AtomicLong lastTick = new AtomicLong(Long.MIN_VALUE);
    private final ConcurrentHashMap<Long, KeyLog> writesByKey = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Read> reads = new ConcurrentLinkedQueue<>();

    /** A checker on {@link System#nanoTime()}. */
    public StalenessChecker() {
        this(System::nanoTime);
    }

    /**
     * A checker on the given clock, for tests.
     *
     * @param nanoClock a clock in nanoseconds; it should not go backwards (if it does,
     *     {@link #now()} stands still plus one nanosecond per call until it catches up); it must
     *     be safe to call from many threads
     * @throws IllegalArgumentException if {@code nanoClock} is null
     */
    public StalenessChecker(LongSupplier nanoClock) {
        if (nanoClock == null) {
            throw new IllegalArgumentException("nanoClock must not be null");
        }
        this.nanoClock = nanoClock;
    }

    /**
     * The checker's clock in nanoseconds, strictly greater than every value it returned before.
     * Take a read's start with it <em>before</em> sending the read.
     *
     * @return the time in nanoseconds; only differences between values are meaningful
     */
    public long now() {
        long reading = nanoClock.getAsLong();
        return lastTick.updateAndGet(last -> reading > last ? reading : last + 1);
    }

    /**
     * Records that the write of sequence {@code seq} on {@code key} was acknowledged, now. Call it
     * right after the commit returned, and only for writes that were acknowledged (not for failed
     * or unknown outcomes).
     *
     * @param key the key written
     * @param seq the sequence written; at least 1 and greater than every sequence recorded for the
     *     key so far
     * @param session the session that wrote it, for read-your-writes
     * @throws IllegalArgumentException naming the key and both sequences if {@code seq} does not
     *     increase, or if {@code seq} is below 1 or {@code session} is null
     */
    public void writeAcknowledged(long key, long seq, String session) {
        if (seq < 1) {
            throw new IllegalArgumentException("key " + key + ": seq must be at least 1 (0 means 'no write'), got " + seq);
        }
        requireSession(session);
        KeyLog log = writesByKey.computeIfAbsent(key, k -> new KeyLog());
        synchronized (log) {
            if (log.all.size > 0 && seq <= log.all.lastSeq()) {
                throw new IllegalArgumentException("key " + key + ": seq " + seq
                        + " is not greater than the last acknowledged seq " + log.all.lastSeq()
                        + " (one writer per key, increasing sequences)");
            }
            // Taken under the key's lock so acknowledgement times increase with the sequence even if
            // the caller breaks the one-writer rule: the binary searches in report() rely on it.
            long ackedAt = now();
            log.all.add(seq, ackedAt);
            log.bySession.computeIfAbsent(session, s -> new Series()).add(seq, ackedAt);
        }
    }

    /**
     * Records a completed read whose serving node is not known.
     *
     * @param startedAtNanos {@link #now()} taken just before the read was sent
     * @param key the key read
     * @param seenSeq the highest sequence the read saw on the key, 0 if none
     * @param session the session that read, for read-your-writes
     * @throws IllegalArgumentException if {@code seenSeq} is negative or {@code session} is null
     */
    public void readCompleted(long startedAtNanos, long key, long seenSeq, String session) {
        readCompleted(startedAtNanos, key, seenSeq, session, null);
    }

    /**
     * Records a completed read.
     *
     * @param startedAtNanos {@link #now()} taken just before the read was sent
     * @param key the key read
     * @param seenSeq the highest sequence the read saw on the key, 0 if none
     * @param session the session that read, for read-your-writes
     * @param node a label for the node that served the read, shown in the report; may be null
     * @throws IllegalArgumentException if {@code seenSeq} is negative or {@code session} is null
     */
    public void readCompleted(long startedAtNanos, long key, long seenSeq, String session, String node) {
        if (seenSeq < 0) {
            throw new IllegalArgumentException("key " + key + ": seenSeq must not be negative, got " + seenSeq);
        }
        requireSession(session);
        reads.add(new Read(startedAtNanos, key, seenSeq, session, node));
    }

    private static void requireSession(String session) {
        if (session == null) {
            throw new IllegalArgumentException("session must not be null");
        }
    }

    /**
     * Judges every read recorded so far against the bound. See the class comment for the rules;
     * the boundary case (a write acknowledged exactly {@code bound} before the read began) is not
     * stale.
     *
     * <p>Cost: a few binary searches per read, so a million reads take well under a second; memory
     * is a copy of the recorded writes plus the violations found.
     *
     * @param bound the longest staleness allowed; zero demands that every read see every write
     *     acknowledged before it began
     * @return the report
     * @throws IllegalArgumentException naming the value if {@code bound} is null or negative
     */
    public StalenessReport report(Duration bound) {
        if (bound == null) {
            throw new IllegalArgumentException("bound must not be null");
        }
        if (bound.isNegative()) {
            throw new IllegalArgumentException("bound must not be negative, got " + bound);
        }
        long boundNanos = saturatedNanos(bound);

        // Reads first, then writes: every write a snapshotted read could depend on (acknowledged
        // before its start) was recorded before that start was taken, hence before the read was
        // recorded, hence before this point; so the write snapshot below contains it.
        Read[] readSnapshot = reads.toArray(new Read[0]);
        Map<Long, KeySnapshot> writeSnapshot = new HashMap<>();
        long writes = 0;
        for (Map.Entry<Long, KeyLog> e : writesByKey.entrySet()) {
            KeySnapshot snapshot = e.getValue().snapshot();
            writes += snapshot.all.size;
            writeSnapshot.put(e.getKey(), snapshot);
        }

        List<StalenessReport.StaleRead> stale = new ArrayList<>();
        List<StalenessReport.ReadYourWritesViolation> ryw = new ArrayList<>();
        long maxStaleness = 0;
        for (Read r : readSnapshot) {
            KeySnapshot key = writeSnapshot.get(r.key);
            if (key == null) {
                continue; // never written: nothing to miss
            }
            Series all = key.all;
            // Sequences increase with acknowledgement time, so the writes the read missed are a
            // suffix of the series starting at the first sequence above what it saw.
            int firstMissed = firstAbove(all.seqs, all.size, r.seenSeq);
            int ackedBeforeStart = countBelow(all.acks, all.size, r.startedAt);
            if (firstMissed >= ackedBeforeStart) {
                continue; // missed nothing acknowledged before it began
            }
            long staleness = r.startedAt - all.acks[firstMissed];
            maxStaleness = Math.max(maxStaleness, staleness);

            int requiredCount = countBelow(all.acks, all.size, saturatedMinus(r.startedAt, boundNanos));
            if (firstMissed < requiredCount) {
                stale.add(new StalenessReport.StaleRead(r.startedAt, r.key, r.seenSeq,
                        all.seqs[requiredCount - 1], r.session, r.node, Duration.ofNanos(staleness)));
            }

            Series own = key.bySession.get(r.session);
            if (own != null) {
                int ownBeforeStart = countBelow(own.acks, own.size, r.startedAt);
                if (ownBeforeStart > 0 && own.seqs[ownBeforeStart - 1] > r.seenSeq) {
                    ryw.add(new StalenessReport.ReadYourWritesViolation(r.startedAt, r.key, r.seenSeq,
                            own.seqs[ownBeforeStart - 1], r.session, r.node));
                }
            }
        }
        stale.sort(Comparator.comparingLong(StalenessReport.StaleRead::startedAtNanos)
                .thenComparingLong(StalenessReport.StaleRead::key)
                .thenComparing(StalenessReport.StaleRead::session));
        ryw.sort(Comparator.comparingLong(StalenessReport.ReadYourWritesViolation::startedAtNanos)
                .thenComparingLong(StalenessReport.ReadYourWritesViolation::key)
                .thenComparing(StalenessReport.ReadYourWritesViolation::session));
        return new StalenessReport(readSnapshot.length, writes, bound, stale, ryw, Duration.ofNanos(maxStaleness));
    }

    /**
     * Judges every read recorded so far, as {@link #report(Duration)} does, then forgets those
     * reads and every write that no later read can need under the same bound: per key, the writes
     * acknowledged less than {@code bound} ago and the last one before them; per key and session,
     * the writes acknowledged from now on and the last one before. Memory then stays proportional
     * to the keys and the writes of the last {@code bound}, however long the run.
     *
     * <p>Later reports stay exact about which reads are stale or miss their session's writes, as
     * long as they use the same bound (a larger one may need a write forgotten here). What they
     * report as a read's staleness can be shorter than the truth for a read that missed writes
     * forgotten here: it is measured from the earliest write kept.
     *
     * <p>Reads recorded while this runs are judged by the next report.
     *
     * @param bound the longest staleness allowed, as for {@link #report(Duration)}; use the same
     *     bound for every report of this checker
     * @return the report of the reads recorded before the call
     * @throws IllegalArgumentException naming the value if {@code bound} is null or negative
     */
    public StalenessReport reportAndForget(Duration bound) {
        // report() snapshots the reads first; the queue only grows at its tail, so the first
        // readsChecked elements are exactly the ones it judged.
        long cutoff = now();
        StalenessReport report = report(bound);
        for (long i = 0; i < report.readsChecked(); i++) {
            reads.poll();
        }
        long requiredBefore = saturatedMinus(cutoff, saturatedNanos(bound));
        for (KeyLog log : writesByKey.values()) {
            synchronized (log) {
                log.all.dropBefore(requiredBefore);
                log.bySession.values().forEach(series -> series.dropBefore(cutoff));
            }
        }
        return report;
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE; // ~292 years: no write is that old
        }
    }

    private static long saturatedMinus(long a, long b) {
        long r = a - b;
        // Overflow iff a and b have different signs and the result's sign differs from a's.
        return ((a ^ b) & (a ^ r)) < 0 ? Long.MIN_VALUE : r;
    }

    /** Index of the first element above {@code value} in the sorted prefix, or {@code size}. */
    static int firstAbove(long[] sorted, int size, long value) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] > value) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** Number of elements strictly below {@code value} in the sorted prefix. */
    static int countBelow(long[] sorted, int size, long value) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private record Read(long startedAt, long key, long seenSeq, String session, String node) {
    }

    /** Parallel growable arrays of sequences and acknowledgement times, both increasing. */
    private static final class Series {
        long[] seqs;
        long[] acks;
        int size;

        Series() {
            this(new long[4], new long[4], 0);
        }

        private Series(long[] seqs, long[] acks, int size) {
            this.seqs = seqs;
            this.acks = acks;
            this.size = size;
        }

        long lastSeq() {
            return seqs[size - 1];
        }

        void add(long seq, long ack) {
            if (size == seqs.length) {
                seqs = Arrays.copyOf(seqs, size * 2);
                acks = Arrays.copyOf(acks, size * 2);
            }
            seqs[size] = seq;
            acks[size] = ack;
            size++;
        }

        /** Drops the entries acknowledged before {@code ack}, except the last of them. */
        void dropBefore(long ack) {
            int drop = countBelow(acks, size, ack) - 1;
            if (drop > 0) {
                System.arraycopy(seqs, drop, seqs, 0, size - drop);
                System.arraycopy(acks, drop, acks, 0, size - drop);
                size -= drop;
            }
        }

        Series copy() {
            return new Series(Arrays.copyOf(seqs, size), Arrays.copyOf(acks, size), size);
        }
    }

    /** The writes to one key; guarded by its own monitor. */
    private static final class KeyLog {
        final Series all = new Series();
        final Map<String, Series> bySession = new HashMap<>();

        synchronized KeySnapshot snapshot() {
            Map<String, Series> sessions = new HashMap<>();
            bySession.forEach((session, series) -> sessions.put(session, series.copy()));
            return new KeySnapshot(all.copy(), sessions);
        }
    }

    private record KeySnapshot(Series all, Map<String, Series> bySession) {
    }
}
