package org.pgha.driver.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pgha.driver.config.HostSpec;

/**
 * Which standbys hold every commit the primary acknowledges, as the monitor learns it, and
 * their samples ({@link SyncWitness}). Not thread-safe: the monitor calls it under its
 * publishing lock.
 *
 * <h2>The rules</h2>
 * <ul>
 *   <li>A standby is <em>confirmed</em> by a sample of the write target that reports
 *       {@code synchronous_commit} {@code on} or {@code remote_apply} and lists the standby's
 *       WAL receiver name with {@code sync_state = 'sync'} (priority-based: every such standby
 *       has flushed every commit before it is acknowledged; a {@code quorum} standby may not
 *       have). The name must belong to exactly one node of the URL, or nobody is confirmed
 *       under it. {@code remote_write}, {@code local} and {@code off} confirm nobody: their
 *       commits are acknowledged before the standby has flushed them.
 *   <li>The first confirming sample starts the standby's samples; the next one, sent after the
 *       first was answered, sets the anchor: every commit acknowledged before the standby became
 *       synchronous was acknowledged before that sample was sent, so it lies at or below the
 *       anchor. The witness is usable from then on.
 *   <li>A write target sample that does not confirm the standby (it left the synchronous set,
 *       or the setting went below {@code on}) ends its witness; so do a new primary or timeline
 *       (its samples describe another history), the standby going DOWN (it may come back from
 *       a restart with a lower received position), its received position going back, its
 *       timeline differing from the primary's, and its promotion.
 *   <li>A write target that stops answering ends nothing: its standby's samples go on bounding
 *       lag, which is the point. <b>Assumed</b>, since nobody can check it once the primary is
 *       gone: the synchronous standby set the primary's last sample showed stays in force until
 *       the primary is lost (nobody reconfigures {@code synchronous_standby_names} to leave this
 *       standby out in between, as Patroni's {@code synchronous_mode_strict} ensures), and the
 *       commits the application relies on use the server's {@code synchronous_commit} (a
 *       session that lowers it is outside the bound).
 *   <li>Where that assumption is known not to hold, no witness is used ({@link #trust}): with
 *       {@code patroni}, until Patroni's {@code /config} shows {@code synchronous_mode} and
 *       {@code synchronous_mode_strict} on. Without strict mode, Patroni takes a standby that stops
 *       streaming out of the synchronous set and the primary goes on acknowledging commits
 *       without it, so a primary pgha no longer reaches may be committing what its synchronous
 *       standby never receives. The standbys are still tracked; only their use waits.
 * </ul>
 */
final class SyncWitnesses {

    private static final class Tracked {
        /** {@value Lsn#UNKNOWN} until the second confirming sample. */
        long anchor = Lsn.UNKNOWN;
        PrimaryHistory received = PrimaryHistory.empty();
    }

    /** Each replica's WAL receiver name, as its last probe reported it (null: unknown). */
    private final Map<HostSpec, String> walNames = new HashMap<>();
    private final Map<HostSpec, Tracked> tracked = new LinkedHashMap<>();
    private boolean trusted;

    /** @param trusted whether the synchronous set may be relied on to stay in force (see {@link #trust}) */
    SyncWitnesses(boolean trusted) {
        this.trusted = trusted;
    }

    SyncWitnesses() {
        this(true);
    }

    /**
     * Whether the synchronous set the primary's last sample showed stays in force until the
     * primary is lost; while not, {@link #active()} is empty.
     *
     * @return whether this changed anything
     */
    boolean trust(boolean trusted) {
        boolean changed = this.trusted != trusted;
        this.trusted = trusted;
        return changed;
    }

    boolean trusted() {
        return trusted;
    }

    /** A sample of the write target: {@code lsn} its position, the rest what it reported of its synchronous standbys. */
    void primarySample(long lsn, String synchronousCommit, List<String> syncNames) {
        Set<HostSpec> confirmed = confirmed(synchronousCommit, syncNames);
        tracked.keySet().retainAll(confirmed);
        for (HostSpec standby : confirmed) {
            Tracked t = tracked.get(standby);
            if (t == null) {
                tracked.put(standby, new Tracked());
            } else if (t.anchor < 0 && lsn >= 0) {
                t.anchor = lsn;
            }
        }
    }

    private Set<HostSpec> confirmed(String synchronousCommit, List<String> syncNames) {
        if (!("on".equals(synchronousCommit) || "remote_apply".equals(synchronousCommit)) || syncNames.isEmpty()) {
            return Set.of();
        }
        Set<HostSpec> confirmed = new LinkedHashSet<>();
        for (String name : syncNames) {
            HostSpec only = null;
            int matches = 0;
            for (Map.Entry<HostSpec, String> e : walNames.entrySet()) {
                if (name.equals(e.getValue())) {
                    only = e.getKey();
                    matches++;
                }
            }
            if (matches == 1) {
                confirmed.add(only);
            }
        }
        return confirmed;
    }

    /**
     * A successful probe of a node other than the write target (or of the write target, which
     * ends any witness it had as a standby).
     *
     * @param timeline the timeline of the primary whose history the samples belong to; 0 if none
     */
    void probed(HostSpec host, boolean replica, long sentAtNanos, ProbeResult result, int timeline) {
        if (!replica) {
            walNames.remove(host);
            tracked.remove(host);
            return;
        }
        walNames.put(host, result.walName());
        Tracked t = tracked.get(host);
        if (t == null) {
            return;
        }
        long received = result.receiveLsn();
        boolean wentBack = !t.received.isEmpty() && received < t.received.latestLsn();
        if (received < 0 || wentBack || timeline == 0 || result.timeline() != timeline) {
            tracked.remove(host);
            return;
        }
        if (t.received.isEmpty() || sentAtNanos - t.received.latestSentAtNanos() > 0) {
            t.received = t.received.with(sentAtNanos, received);
        }
    }

    /** A node went DOWN. */
    void down(HostSpec host) {
        tracked.remove(host);
    }

    /** Another primary or timeline: every witness described the old one. */
    void reset() {
        tracked.clear();
    }

    /** The usable witnesses: anchored, with samples; none while not {@link #trust trusted}. */
    List<SyncWitness> active() {
        if (tracked.isEmpty() || !trusted) {
            return List.of();
        }
        List<SyncWitness> active = new ArrayList<>(tracked.size());
        for (Map.Entry<HostSpec, Tracked> e : tracked.entrySet()) {
            Tracked t = e.getValue();
            if (t.anchor >= 0 && !t.received.isEmpty()) {
                active.add(new SyncWitness(e.getKey(), t.anchor, t.received));
            }
        }
        return List.copyOf(active);
    }
}
