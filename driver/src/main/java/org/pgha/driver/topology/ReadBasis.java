package org.pgha.driver.topology;

import java.util.List;
import java.util.Objects;

/**
 * What a replica's lag is bounded by, for one {@link Topology}: the timeline a replica must be
 * on, the samples of the primary of that timeline ({@link PrimaryHistory}) and those of its
 * synchronous standbys ({@link SyncWitness}). A replica's conservative lag is the smallest
 * bound any of them gives: each is a proof on its own.
 *
 * <p>The primary may be gone: with no primary known, the basis is the last write target's
 * history, which stays true of the past (every write it acknowledged before a sample lies at or
 * below that sample's position), and its witnesses, whose samples go on. Whatever the primary
 * acknowledged after its last sample is bounded by a witness only; without one a replica's lag
 * grows from that sample on until a new primary is found.
 *
 * <p>Immutable; queries allocate nothing.
 */
public final class ReadBasis {

    private static final ReadBasis NONE = new ReadBasis(0, PrimaryHistory.empty(), List.of(), false);

    private final int timeline;
    private final PrimaryHistory primary;
    private final List<SyncWitness> witnesses;
    private final boolean primaryLost;

    private ReadBasis(int timeline, PrimaryHistory primary, List<SyncWitness> witnesses, boolean primaryLost) {
        this.timeline = timeline;
        this.primary = primary;
        this.witnesses = witnesses;
        this.primaryLost = primaryLost;
    }

    /** No replica can be bounded (no primary ever known, a split brain, a diverged history). */
    public static ReadBasis none() {
        return NONE;
    }

    /**
     * @param timeline the timeline of the primary the samples describe, positive
     * @param primaryLost whether that primary is no longer the write target (there is none)
     */
    static ReadBasis of(int timeline, PrimaryHistory primary, List<SyncWitness> witnesses, boolean primaryLost) {
        if (timeline <= 0) {
            throw new IllegalArgumentException("a read basis needs a known timeline, not " + timeline);
        }
        return new ReadBasis(timeline, Objects.requireNonNull(primary, "primary"), List.copyOf(witnesses), primaryLost);
    }

    /** Whether nothing can be bounded: every lag is unknown. */
    public boolean isNone() {
        return timeline == 0;
    }

    /** The timeline a replica must be on to be bounded; 0 for {@link #none()}. */
    public int timeline() {
        return timeline;
    }

    /** Whether the samples are of a primary that is gone (no write target now). */
    public boolean primaryLost() {
        return primaryLost;
    }

    /** The primary's samples (possibly empty). */
    public PrimaryHistory primaryHistory() {
        return primary;
    }

    /** The synchronous standbys' samples. */
    public List<SyncWitness> witnesses() {
        return witnesses;
    }

    /** Whether there is no sample at all. */
    public boolean isEmpty() {
        return primary.isEmpty() && witnesses.isEmpty();
    }

    /**
     * The conservative lag at {@code nowNanos} of a replica on {@link #timeline()} that has
     * replayed up to {@code replicaLsn}: the smallest of the bounds the primary's history and the
     * witnesses give, {@link Long#MAX_VALUE} if none gives one.
     */
    public long conservativeLagNanos(long replicaLsn, long nowNanos) {
        long lag = primary.conservativeLagNanos(replicaLsn, nowNanos);
        for (int i = 0, n = witnesses.size(); i < n; i++) {
            lag = Math.min(lag, witnesses.get(i).conservativeLagNanos(replicaLsn, nowNanos));
        }
        return lag;
    }

    /** Whether a replica at {@code replicaLsn} is known to hold every write acknowledged at or before {@code afterNanos}. */
    public boolean covers(long replicaLsn, long afterNanos) {
        if (primary.covers(replicaLsn, afterNanos)) {
            return true;
        }
        for (int i = 0, n = witnesses.size(); i < n; i++) {
            if (witnesses.get(i).covers(replicaLsn, afterNanos)) {
                return true;
            }
        }
        return false;
    }

    /** The highest position sampled (primary or witness), {@value Lsn#UNKNOWN} if none. */
    public long latestLsn() {
        long latest = primary.latestLsn();
        for (int i = 0, n = witnesses.size(); i < n; i++) {
            latest = Math.max(latest, witnesses.get(i).received().latestLsn());
        }
        return latest;
    }

    @Override
    public String toString() {
        if (isNone()) {
            return "none";
        }
        StringBuilder text = new StringBuilder(64).append("timeline ").append(timeline)
                .append(primaryLost ? ", lost primary's " : ", primary's ").append(primary.size()).append(" samples");
        for (SyncWitness w : witnesses) {
            text.append(", sync standby ").append(w.standby()).append("'s ").append(w.received().size()).append(" samples");
        }
        return text.toString();
    }
}
