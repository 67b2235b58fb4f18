package org.pgha.driver.topology;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.pgha.driver.ClusterEvent;
import org.pgha.driver.ClusterEventListener;
import org.pgha.driver.ClusterStatus;
import org.pgha.driver.PghaProperty;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one cluster: probes every seed node and publishes an immutable {@link Topology}
 * through one volatile reference, which routing reads without a lock.
 *
 * <p>A probe is one round trip on a probe connection kept open per node: role, WAL position
 * (the primary's current one, a replica's replayed one), timeline and
 * {@code system_identifier}. The time a primary probe was <em>sent</em> goes into the
 * primary's history, from which replica lag is bounded (see {@link PrimaryHistory}).
 *
 * <p>Each node has its own probe thread, so that a hung node, whose probe waits for
 * {@code probeTimeout}, never delays the probes of the others. A node is DOWN after
 * {@code failureThreshold} failed probes in a row, or at once after a probe that took longer
 * than {@code probeTimeout}. After any failure signal (a node down, no usable primary, a
 * caller's {@link #requestProbe()}) every node is probed every {@link #FAST_INTERVAL} until a
 * primary is confirmed again.
 *
 * <p>Owned by its DataSource (or shared through the driver's registry) and closed with it.
 */
public final class ClusterMonitor implements ClusterView, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterMonitor.class);

    /**
     * The replicas are probed this fraction of {@code probeInterval} after each sample of the
     * primary: late enough for them to have replayed what it sampled, early enough that the
     * sample is still recent.
     */
    static final int ALIGN_FRACTION = 20;

    /** How often nodes are probed while a failure is being resolved. */
    static final Duration FAST_INTERVAL = Duration.ofMillis(25);

    /**
     * The longest pause between probes of a node that rejects the monitor
     * ({@link Rejection#rejects}): a wrong password, a missing database, a TLS
     * certificate that fails verification. The pause starts at {@code probeInterval} and
     * doubles with each rejection in a row, whatever fast probing the rest of the cluster is
     * in, so that a wrong password costs a handful of failed logins a minute, not 40 a second
     * (an account lockout where authentication is LDAP, PAM or RADIUS).
     */
    static final Duration MAX_REJECTED_INTERVAL = Duration.ofSeconds(30);

    private final PghaConfig config;
    private final LongSupplier nanoClock;
    private final Clock wallClock;
    private final String name;
    private final List<NodeProber> probers = new CopyOnWriteArrayList<>();
    private final ProbeConnector connector;
    private final Probes owner = new Probes();
    /** The URL's hosts: every other node is one a topology source added. */
    private final Set<HostSpec> seeds;
    /** What runs beside the probers and ends with the monitor (a topology source). */
    private final List<AutoCloseable> attached = new CopyOnWriteArrayList<>();
    /** How many answers in a row of the topology source left out each found member; guarded by publishLock. */
    private final Map<HostSpec, Integer> absences = new HashMap<>();
    private final CopyOnWriteArrayList<ClusterEventListener> listeners = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstRound;
    private final Object wake = new Object();
    /** Each replica's server start time and the newest timeline it reported since; guarded by publishLock. */
    private final Map<HostSpec, ReplicaRun> replicaRuns = new HashMap<>();
    /** How many times every prober's pause was cut short; guarded by {@link #wake}. */
    private long wakeups;
    /** Serialises the building of snapshots by the probe threads; readers never take it. */
    private final Object publishLock = new Object();
    /** Which nodes are this cluster's servers, each once; guarded by publishLock. */
    private final ServerIdentities identities;
    /** Each node's last probe failure, for messages and suppressed exceptions; none once it answers. */
    private final Map<HostSpec, SQLException> lastFailures = new ConcurrentHashMap<>();
    /** The physical connections the application holds, by node, aborted when their node goes DOWN. */
    private final ConnectionTracker inUse;
    private final Object published = new Object();
    private final Map<HostSpec, Long> suspects = new ConcurrentHashMap<>();
    /** Guarded by publishLock. */
    private final FailoverTracker failover;

    private volatile Topology topology;
    /**
     * When fast probing was last asked for, or {@link #NOT_FAST}. It ends once the primary
     * answers a probe sent after that moment: a confirmation, not a stale snapshot.
     */
    private volatile long fastSince;
    private static final long NOT_FAST = Long.MIN_VALUE;
    private volatile boolean closed;
    /** The primary's samples and the newest history a write target had; guarded by publishLock. */
    private final HistoryKeeper history;

    public ClusterMonitor(PghaConfig config, ProbeConnector connector, LongSupplier nanoClock, Clock wallClock) {
        this.config = Objects.requireNonNull(config, "config");
        this.connector = Objects.requireNonNull(connector, "connector");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
        this.name = config.clusterKey();
        this.seeds = Set.copyOf(config.hosts());
        this.inUse = new ConnectionTracker(name);
        this.topology = Topology.initial(config.hosts());
        this.fastSince = nanoClock.getAsLong();
        this.firstRound = new CountDownLatch(config.hosts().size());
        this.identities = new ServerIdentities(name, config.hosts(), wallClock);
        this.history = new HistoryKeeper(config, wallClock);
        this.failover = new FailoverTracker(config.duration(PghaProperty.FAILOVER_TIMEOUT).toNanos());
        for (HostSpec host : config.hosts()) {
            probers.add(new NodeProber(host, config, connector, nanoClock, owner, wake));
        }
    }

    /** Starts the probe threads. */
    public ClusterMonitor start() {
        for (NodeProber prober : probers) {
            prober.thread.start();
        }
        return this;
    }

    /** Runs {@code part} (a topology source) beside the probers: it is closed with the monitor. */
    public void attach(AutoCloseable part) {
        attached.add(Objects.requireNonNull(part, "part"));
        if (closed) {
            closeQuietly(part);
        }
    }

    private static void closeQuietly(AutoCloseable part) {
        try {
            part.close();
        } catch (Exception e) {
            log.debug("pgha: closing {} failed: {}", part, e.toString());
        }
    }

    /**
     * A found member must be missing from this many answers of its topology source in a row
     * before it is removed: one answer taken while a member re-registers does not drop it.
     */
    static final int ABSENCES_TO_REMOVE = 3;

    /**
     * What a topology source (Patroni's REST API) lists now. A member the monitor does not know
     * is added and probed, and used only once its own probe shows it is one of this cluster's
     * servers (the system identifier of the URL's hosts; the source's word is never enough). A
     * member the source had added and no longer lists is removed after
     * {@value #ABSENCES_TO_REMOVE} such answers in a row, unless it is the write target; the
     * URL's hosts are never removed. The {@code drained} members get no new reads.
     */
    public void members(Collection<HostSpec> listed, Set<HostSpec> drained) {
        List<ClusterEvent> events = new ArrayList<>();
        List<NodeProber> started = new ArrayList<>();
        List<NodeProber> stopped = new ArrayList<>();
        HostSpec fenced;
        synchronized (publishLock) {
            if (closed) {
                return;
            }
            Topology before = topology;
            Topology.Builder builder = before.toBuilder();
            Set<HostSpec> known = new HashSet<>();
            before.nodes().forEach(n -> known.add(n.host()));
            for (HostSpec host : new LinkedHashSet<>(listed)) {
                absences.remove(host);
                if (known.add(host)) {
                    builder.addNode(host);
                    identities.add(host);
                    NodeProber prober = new NodeProber(host, config, connector, nanoClock, owner, wake);
                    started.add(prober);
                    events.add(event(ClusterEvent.Type.MEMBER_ADDED, host, "listed by the topology source; probed before use"));
                }
            }
            WriteTarget target = before.writeTarget();
            for (NodeState node : before.nodes()) {
                HostSpec host = node.host();
                if (seeds.contains(host) || listed.contains(host)) {
                    continue;
                }
                int times = absences.merge(host, 1, Integer::sum);
                boolean writes = target.isOk() && target.node().host().equals(host);
                if (times >= ABSENCES_TO_REMOVE && !writes) {
                    builder.removeNode(host);
                    identities.remove(host);
                    absences.remove(host);
                    replicaRuns.remove(host);
                    lastFailures.remove(host);
                    suspects.remove(host);
                    for (NodeProber prober : probers) {
                        if (prober.host.equals(host)) {
                            stopped.add(prober);
                        }
                    }
                    events.add(event(ClusterEvent.Type.MEMBER_REMOVED, host, "no longer listed by the topology source"));
                }
            }
            Set<HostSpec> stillDrained = new HashSet<>(drained);
            stillDrained.retainAll(known);
            stopped.forEach(p -> stillDrained.remove(p.host));
            builder.drained(stillDrained);
            if (events.isEmpty() && stillDrained.equals(before.drained())) {
                return;
            }
            fenced = publish(before, builder.takenAtNanos(nanoClock.getAsLong()).build(), events);
            probers.removeAll(stopped);
            probers.addAll(started);
        }
        stopped.forEach(NodeProber::stop);
        stopped.forEach(p -> inUse.abort(p.host, "left the cluster"));
        started.forEach(p -> p.thread.start());
        if (fenced != null) {
            inUse.abort(fenced, "no longer takes writes");
        }
        fire(events);
    }

    /**
     * Whether the synchronous set the primary names stays in force until the primary is lost, as
     * a topology source reports it (Patroni's {@code synchronous_mode_strict}). While it is not,
     * the synchronous standbys' samples bound no read once the primary stops answering: the
     * standbys' lag is bounded by the primary's last sample, as for asynchronous standbys. With
     * {@code patroni}, not trusted until Patroni says so; without, trusted (the documented
     * assumption).
     */
    public boolean synchronousSetTrusted() {
        synchronized (publishLock) {
            return history.witnessesTrusted();
        }
    }

    /** Sets what {@link #synchronousSetTrusted()} returns; see there. */
    public void trustSynchronousSet(boolean trusted) {
        synchronized (publishLock) {
            if (closed) {
                return;
            }
            Topology before = topology;
            Topology.Builder next = history.trustWitnesses(before, trusted);
            if (next != null) {
                publish(before, next.takenAtNanos(nanoClock.getAsLong()).build(), new ArrayList<>());
            }
        }
    }

    /**
     * Waits until every node was probed once (answered or failed), at most
     * {@link #firstRoundTimeout()}.
     *
     * @return whether every node was probed in time
     */
    public boolean awaitFirstRound() {
        try {
            return firstRound.await(firstRoundTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * How long a first connection waits for the first probe of every node: a connect and a
     * login, each bounded by {@code probeTimeout} in whole seconds, and the probe itself.
     */
    public Duration firstRoundTimeout() {
        long seconds = Math.max(1, (config.duration(PghaProperty.PROBE_TIMEOUT).toMillis() + 999) / 1000);
        return Duration.ofSeconds(2 * seconds).plus(config.duration(PghaProperty.PROBE_TIMEOUT));
    }

    /** The latest snapshot: one volatile read. */
    @Override
    public Topology topology() {
        return topology;
    }

    /** The latest snapshot, as the public {@link ClusterStatus}. */
    public ClusterStatus status() {
        return topology.status(nanoClock.getAsLong(), wallClock.instant());
    }

    /** The clock probe times and write acknowledgements are measured on, in nanoseconds. */
    @Override
    public long nanoTime() {
        return nanoClock.getAsLong();
    }

    /** The configuration the monitor runs with. */
    public PghaConfig config() {
        return config;
    }

    /** Probes every node now and keeps probing fast until a primary is confirmed. */
    @Override
    public void requestProbe() {
        fastSince = nanoClock.getAsLong();
        synchronized (wake) {
            wakeups++;
            wake.notifyAll();
        }
    }

    /** Adds a listener, once: adding it again changes nothing. */
    public void addListener(ClusterEventListener listener) {
        listeners.addIfAbsent(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(ClusterEventListener listener) {
        listeners.remove(listener);
    }

    /**
     * Waits until a snapshot other than {@code seen} is published, or the deadline passes.
     *
     * @return the snapshot then current
     */
    @Override
    public Topology awaitChange(Topology seen, long deadlineNanos) {
        synchronized (published) {
            while (topology == seen && !closed) {
                long left = deadlineNanos - nanoClock.getAsLong();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(published, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return topology;
    }

    /**
     * Marks a node that failed a connection as suspect, for every connection of this cluster:
     * none tries it again until a probe sent after the failure finds it well. This is pgha's
     * circuit breaker: the probes are its half-open trial, so threads never hammer a dead node
     * and a healthy one is back within one fast probe.
     */
    @Override
    public void suspect(HostSpec host) {
        suspects.put(host, nanoClock.getAsLong());
        requestProbe();
    }

    /** Whether {@link #suspect} holds for the node as this snapshot shows it. */
    @Override
    public boolean isSuspect(NodeState node) {
        Long since = suspects.get(node.host());
        if (since == null) {
            return false;
        }
        if (node.probeSentAtNanos() != NodeState.NEVER && node.probeSentAtNanos() - since > 0) {
            suspects.remove(node.host(), since);
            return false;
        }
        return true;
    }

    /** The node's last probe failure, or null if its last probe succeeded. */
    @Override
    public SQLException lastFailure(HostSpec host) {
        return lastFailures.get(host);
    }

    /**
     * Registers a physical connection the application uses, so that it is aborted when its
     * node goes DOWN: a thread blocked on a hung node's socket then fails at once instead of
     * after TCP's timeouts.
     */
    @Override
    public void track(HostSpec host, Connection physical) {
        inUse.track(host, physical);
    }

    /**
     * Whether {@code physical} is still tracked: false once its node went DOWN and the monitor
     * aborted it (a pooled connection's proxy may not report itself closed then).
     */
    @Override
    public boolean isTracked(HostSpec host, Connection physical) {
        return inUse.isTracked(host, physical);
    }

    /** Undoes {@link #track}. */
    @Override
    public void untrack(HostSpec host, Connection physical) {
        inUse.untrack(host, physical);
    }

    /**
     * Accepts the history of the only primary after {@link ClusterEvent.Type#HISTORY_DIVERGED}:
     * writes go to it from now on, and what the newer history held beyond it stays lost.
     *
     * @return whether there was a diverged history to accept
     */
    public boolean acceptDivergedHistory() {
        List<ClusterEvent> events = new ArrayList<>();
        synchronized (publishLock) {
            Topology before = topology;
            WriteTarget target = before.writeTarget();
            if (target.status() != WriteTarget.Status.DIVERGED) {
                return false;
            }
            log.warn("pgha cluster {}: the application accepted the history of {} on timeline {}: {}", name,
                    target.behind().host(), target.behind().timeline(), target.mark().describe(target.behind()));
            publish(before, before.toBuilder().historyMark(target.mark().accept(target.behind()))
                    .takenAtNanos(nanoClock.getAsLong()).build(), events);
        }
        fire(events);
        return true;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        attached.forEach(ClusterMonitor::closeQuietly);
        synchronized (wake) {
            wakeups++;
            wake.notifyAll();
        }
        synchronized (published) {
            published.notifyAll();
        }
        for (NodeProber prober : probers) {
            prober.thread.interrupt();
            prober.closeConnection();
        }
        for (NodeProber prober : probers) {
            try {
                prober.thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        log.debug("pgha monitor {} closed", name);
    }

    @Override
    public String toString() {
        return "ClusterMonitor[" + name + "]";
    }

    // ------------------------------------------------------------------ probing

    /** The monitor as its probers see it. */
    private final class Probes implements NodeProber.Owner {
        @Override
        public boolean closed() {
            return closed;
        }

        @Override
        public long pauseMillis(HostSpec host) {
            // A suspect node (failed, not yet DOWN) is retried fast too, so that failureThreshold
            // failures take tens of milliseconds, not failureThreshold probe intervals.
            NodeState self = topology.node(host).orElse(null);
            if (self == null) {
                return config.duration(PghaProperty.PROBE_INTERVAL).toMillis(); // removed; its thread is ending
            }
            boolean suspect = self.up() && self.consecutiveFailures() > 0;
            return (fastSince != NOT_FAST || suspect ? FAST_INTERVAL : config.duration(PghaProperty.PROBE_INTERVAL)).toMillis();
        }

        @Override
        public void firstProbed(HostSpec host) {
            firstRound.countDown();
        }

        @Override
        public void succeeded(HostSpec host, long sentAt, ProbeResult result) {
            lastFailures.remove(host);
            ClusterMonitor.this.succeeded(host, sentAt, result);
        }

        @Override
        public long wakeups() {
            return wakeups;
        }

        @Override
        public void failed(HostSpec host, long sentAt, SQLException failure, String error, boolean timedOut) {
            lastFailures.put(host, failure);
            ClusterMonitor.this.failed(host, sentAt, error, timedOut);
        }
    }

    // ------------------------------------------------------------------ publishing

    private void succeeded(HostSpec host, long sentAt, ProbeResult result) {
        List<ClusterEvent> events = new ArrayList<>();
        HostSpec fenced;
        boolean primarySampled;
        synchronized (publishLock) {
            Topology before = topology;
            NodeState previous = before.node(host).orElse(null);
            if (previous == null) {
                return; // removed while this probe ran
            }
            NodeRole role = result.primary() ? NodeRole.PRIMARY : NodeRole.REPLICA;
            NodeState now = new NodeState(host, role, true, result.lsn(), replicaTimeline(host, role, result), sentAt,
                    0, null, false);
            if (!previous.up()) {
                events.add(event(ClusterEvent.Type.NODE_UP, host, role + ", timeline " + now.timeline()));
            } else if (previous.role() != NodeRole.UNKNOWN && previous.role() != role) {
                events.add(event(ClusterEvent.Type.ROLE_CHANGED, host, previous.role() + " -> " + role));
            }
            history.flushed(host, result.flushLsn());
            Topology.Builder builder = before.toBuilder().node(now).takenAtNanos(nanoClock.getAsLong());
            identities.refuseStrangers(before, builder, now, result, events);
            Topology next = builder.build();
            next = history.probed(next, now, result);
            next = history.check(next, events);
            fenced = publish(before, next, events);
            primarySampled = next.writeTarget().isOk() && next.writeTarget().node().host().equals(host);
        }
        if (primarySampled) {
            // The replicas next, a moment later: a replica's position is judged against the
            // latest primary sample it has replayed, so probing it just after each one keeps its
            // bound near one probe interval instead of up to two.
            long delay = config.duration(PghaProperty.PROBE_INTERVAL).toNanos() / ALIGN_FRACTION;
            for (NodeProber prober : probers) {
                if (!prober.host.equals(host)) {
                    prober.nudge(delay);
                }
            }
        }
        if (fenced != null) {
            inUse.abort(fenced, "no longer takes writes");
        }
        fire(events);
    }

    /**
     * A replica's timeline: the one its probe reported, or the newer one it reported earlier in
     * the same run of its server. Without a WAL receiver (its primary just died) a replica
     * reports its last restartpoint's timeline, which can be older than the one it replays; a
     * running standby never goes back to an older timeline, so the earlier report still holds.
     * Called under publishLock.
     */
    private int replicaTimeline(HostSpec host, NodeRole role, ProbeResult result) {
        if (role != NodeRole.REPLICA) {
            replicaRuns.remove(host);
            return result.timeline();
        }
        ReplicaRun seen = replicaRuns.get(host);
        if (seen != null && seen.startedMicros() == result.startedMicros() && seen.timeline() > result.timeline()) {
            return seen.timeline();
        }
        replicaRuns.put(host, new ReplicaRun(result.startedMicros(), result.timeline()));
        return result.timeline();
    }

    private record ReplicaRun(long startedMicros, int timeline) {
    }

    private void failed(HostSpec host, long sentAt, String error, boolean timedOut) {
        List<ClusterEvent> events = new ArrayList<>();
        HostSpec fenced;
        boolean wentDown = false;
        synchronized (publishLock) {
            Topology before = topology;
            NodeState previous = before.node(host).orElse(null);
            if (previous == null) {
                return; // removed while this probe ran
            }
            int failures = previous.consecutiveFailures() + 1;
            boolean down = timedOut || failures >= config.integer(PghaProperty.FAILURE_THRESHOLD) || !previous.up();
            NodeState now = new NodeState(host, previous.role(), !down, previous.lsn(), previous.timeline(),
                    previous.probeSentAtNanos(), failures, error, previous.refused());
            if (previous.up() && down) {
                events.add(event(ClusterEvent.Type.NODE_DOWN, host, error));
                wentDown = true;
            }
            WriteTarget target = before.writeTarget();
            if (target.status() == WriteTarget.Status.OK && target.node().host().equals(host)) {
                // The primary failed a probe: find out fast what the cluster looks like now.
                fastSince = nanoClock.getAsLong();
            }
            fenced = publish(before, history.check(history.failed(before.toBuilder().node(now), host, down)
                    .takenAtNanos(nanoClock.getAsLong()).build(), events), events);
        }
        if (wentDown) {
            inUse.abort(host, "is DOWN");
        }
        if (fenced != null && !fenced.equals(host)) {
            inUse.abort(fenced, "no longer takes writes");
        }
        fire(events);
    }

    /**
     * Publishes the next snapshot. Returns the node that was the write target and is up but no
     * longer is (another primary took over, or a split brain or a diverged history leaves no
     * target): the caller aborts the connections to it, so that no transaction open there
     * commits once a newer primary is known. A node that went DOWN is aborted as such.
     */
    private HostSpec publish(Topology before, Topology next, List<ClusterEvent> events) {
        WriteTarget was = before.writeTarget();
        WriteTarget is = next.writeTarget();
        HostSpec fenced = null;
        if (was.isOk() && !(is.isOk() && is.node().host().equals(was.node().host()))) {
            HostSpec old = was.node().host();
            if (next.node(old).map(NodeState::up).orElse(false)) {
                fenced = old;
            }
        }
        if (is.status() == WriteTarget.Status.OK) {
            if (was.status() != WriteTarget.Status.OK || !was.node().host().equals(is.node().host())) {
                events.add(event(ClusterEvent.Type.PRIMARY_CHANGED, is.node().host(),
                        "timeline " + is.node().timeline()));
            }
            long since = fastSince;
            if (since != NOT_FAST && is.node().probeSentAtNanos() > since) {
                fastSince = NOT_FAST;
            }
        } else {
            if (is.status() == WriteTarget.Status.SPLIT_BRAIN && was.status() != WriteTarget.Status.SPLIT_BRAIN) {
                events.add(event(ClusterEvent.Type.SPLIT_BRAIN, next.nodes().get(0).host(),
                        "two primaries on the highest timeline, writes are refused: " + is));
            }
            if (fastSince == NOT_FAST) {
                fastSince = nanoClock.getAsLong();
            }
        }
        failoverEvent(failover.observe(is, nanoClock.getAsLong()), events);
        topology = next;
        synchronized (published) {
            published.notifyAll();
        }
        if (!events.isEmpty()) {
            log.info("pgha cluster {}: {}; now {}", name, events, next);
        }
        return fenced;
    }

    private void failoverEvent(FailoverTracker.Transition t, List<ClusterEvent> events) {
        if (t == null || t.from() == FailoverTracker.State.INITIAL) {
            return;
        }
        Duration took = Duration.ofNanos(t.failoverNanos());
        switch (t.to()) {
            case FAILING_OVER:
                events.add(event(ClusterEvent.Type.FAILOVER_STARTED, t.oldPrimary(), "no usable primary"));
                break;
            case FAILED:
                events.add(new ClusterEvent(ClusterEvent.Type.FAILOVER_FAILED, String.valueOf(t.oldPrimary()),
                        "no primary within failoverTimeout", wallClock.instant(), took));
                break;
            default:
                events.add(new ClusterEvent(ClusterEvent.Type.FAILOVER_COMPLETED, t.newPrimary().toString(),
                        "primary again after " + took.toMillis() + " ms (was " + t.oldPrimary() + ")", wallClock.instant(), took));
        }
    }

    private ClusterEvent event(ClusterEvent.Type type, HostSpec host, String detail) {
        return new ClusterEvent(type, host.toString(), detail, wallClock.instant());
    }

    private void fire(List<ClusterEvent> events) {
        for (ClusterEvent event : events) {
            for (ClusterEventListener listener : listeners) {
                try {
                    listener.onEvent(event);
                } catch (RuntimeException e) {
                    log.warn("pgha cluster {}: listener {} failed on {}", name, listener, event, e);
                }
            }
        }
    }
}
