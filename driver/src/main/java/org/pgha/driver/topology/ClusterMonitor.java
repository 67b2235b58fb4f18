package org.pgha.driver.topology;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
    private final ProbeConnector connector;
    private final LongSupplier nanoClock;
    private final Clock wallClock;
    private final String name;
    private final List<NodeProber> probers = new ArrayList<>();
    private final CopyOnWriteArrayList<ClusterEventListener> listeners = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstRound;
    private final Object wake = new Object();
    /** Serialises the building of snapshots by the probe threads; readers never take it. */
    private final Object publishLock = new Object();
    private final Map<HostSpec, Long> systemIdentifiers = new java.util.LinkedHashMap<>();
    /**
     * Each node's server identity: its system identifier and its postmaster's start time, which
     * no two servers share. Two names with one identity are one server; guarded by publishLock.
     */
    private final Map<HostSpec, String> serverIdentities = new HashMap<>();
    /** Each node's last probe failure, for messages and suppressed exceptions; none once it answers. */
    private final Map<HostSpec, SQLException> lastFailures = new java.util.concurrent.ConcurrentHashMap<>();
    /** The physical connections the application holds, by node, aborted when their node goes DOWN. */
    private final ConnectionTracker inUse;
    private final Object published = new Object();
    private final Map<HostSpec, Long> suspects = new java.util.concurrent.ConcurrentHashMap<>();
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
    /** The primary's samples, the node and the timeline they come from; guarded by publishLock. */
    private PrimaryHistory history = PrimaryHistory.empty();
    private HostSpec historyOwner;
    private int historyTimeline;
    /**
     * Each primary's last flushed WAL position ({@code pg_current_wal_flush_lsn()}), for the
     * history mark: what survives a crash of its host. Guarded by publishLock.
     */
    private final Map<HostSpec, Long> flushedLsns = new HashMap<>();
    /** The diverged primary last reported, so that one divergence is one event; guarded by publishLock. */
    private NodeState reportedDivergence;

    /** Opens a probe connection to one node. */
    @FunctionalInterface
    public interface ProbeConnector {
        Connection connect(HostSpec host) throws SQLException;
    }

    public ClusterMonitor(PghaConfig config, ProbeConnector connector, LongSupplier nanoClock, Clock wallClock) {
        this.config = Objects.requireNonNull(config, "config");
        this.connector = Objects.requireNonNull(connector, "connector");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
        this.name = config.clusterKey();
        this.inUse = new ConnectionTracker(name);
        this.topology = Topology.initial(config.hosts());
        this.fastSince = nanoClock.getAsLong();
        this.firstRound = new CountDownLatch(config.hosts().size());
        this.failover = new FailoverTracker(config.duration(PghaProperty.FAILOVER_TIMEOUT).toNanos());
        for (HostSpec host : config.hosts()) {
            probers.add(new NodeProber(host));
        }
    }

    /** Starts the probe threads. */
    public ClusterMonitor start() {
        for (NodeProber prober : probers) {
            prober.thread.start();
        }
        return this;
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
        Topology t = topology;
        long now = nanoClock.getAsLong();
        List<ClusterStatus.Node> nodes = new ArrayList<>(t.nodes().size());
        for (NodeState n : t.nodes()) {
            boolean usable = n.up() && !n.refused();
            long lagNanos = usable ? t.lagNanos(n, now) : Long.MAX_VALUE;
            long lagBytes = usable ? t.lagBytes(n) : -1;
            nodes.add(new ClusterStatus.Node(n.host().toString(), ClusterStatus.Role.valueOf(n.role().name()), n.up(),
                    n.refused(), n.timeline(), lagNanos == Long.MAX_VALUE ? null : Duration.ofNanos(lagNanos),
                    lagBytes < 0 ? null : lagBytes, n.lastError()));
        }
        WriteTarget target = t.writeTarget();
        ClusterStatus.Writes writes = switch (target.status()) {
            case OK -> ClusterStatus.Writes.PRIMARY;
            case NO_PRIMARY -> ClusterStatus.Writes.NO_PRIMARY;
            case SPLIT_BRAIN -> ClusterStatus.Writes.SPLIT_BRAIN;
            case DIVERGED -> ClusterStatus.Writes.HISTORY_DIVERGED;
        };
        return new ClusterStatus(wallClock.instant(), writes, target.isOk() ? target.node().host().toString() : null, nodes);
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
        synchronized (wake) {
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

    private final class NodeProber implements Runnable {
        final HostSpec host;
        final Thread thread;
        private volatile Connection connection;
        private boolean counted;
        /** Probes in a row that the node rejected ({@link Rejection#rejects}). */
        private int rejections;

        NodeProber(HostSpec host) {
            this.host = host;
            this.thread = new Thread(this, "pgha-probe-" + host);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            while (!closed) {
                probeOnce();
                if (!counted) {
                    counted = true;
                    firstRound.countDown();
                }
                pause();
            }
            closeConnection();
        }

        private void probeOnce() {
            long sentAt = nanoClock.getAsLong();
            try {
                ProbeResult result = probe();
                long took = nanoClock.getAsLong() - sentAt;
                if (took > config.duration(PghaProperty.PROBE_TIMEOUT).toNanos()) {
                    closeConnection();
                    String error = "probe took " + TimeUnit.NANOSECONDS.toMillis(took) + " ms, over probeTimeout";
                    lastFailures.put(host, new SQLException(host + ": " + error, "08006"));
                    failed(host, sentAt, error, true);
                } else {
                    lastFailures.remove(host);
                    if (rejections > 0) {
                        log.info("pgha cluster {}: node {} accepts the monitor again", name, host);
                    }
                    rejections = 0;
                    succeeded(host, sentAt, result);
                }
            } catch (SQLException | RuntimeException e) {
                closeConnection();
                if (e instanceof SQLException sql && Rejection.rejects(sql)) {
                    rejections++;
                    if (rejections == 1) {
                        log.warn("pgha cluster {}: node {} rejects the monitor: {}; probing it again at most every {}"
                                + " until it accepts", name, host, describe(e), PghaProperty.formatDuration(MAX_REJECTED_INTERVAL));
                    }
                } else {
                    rejections = 0;
                }
                if (!closed) {
                    boolean timedOut = nanoClock.getAsLong() - sentAt >= config.duration(PghaProperty.PROBE_TIMEOUT).toNanos();
                    lastFailures.put(host, e instanceof SQLException ? (SQLException) e
                            : new SQLException(host + ": " + describe(e), "08006", e));
                    failed(host, sentAt, describe(e), timedOut);
                }
            }
        }

        private ProbeResult probe() throws SQLException {
            Connection c = connection;
            if (c == null) {
                c = connector.connect(host);
                c.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, config.duration(PghaProperty.PROBE_TIMEOUT).toMillis()));
                c.setAutoCommit(true);
                connection = c;
            }
            return ProbeResult.of(c);
        }

        private void pause() {
            if (rejections > 0) {
                backOff();
                return;
            }
            // A suspect node (failed, not yet DOWN) is retried fast too, so that failureThreshold
            // failures take tens of milliseconds, not failureThreshold probe intervals.
            NodeState self = topology.node(host).orElseThrow();
            boolean suspect = self.up() && self.consecutiveFailures() > 0;
            long millis = (fastSince != NOT_FAST || suspect ? FAST_INTERVAL : config.duration(PghaProperty.PROBE_INTERVAL)).toMillis();
            synchronized (wake) {
                if (closed) {
                    return;
                }
                try {
                    wake.wait(Math.max(1, millis));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    closed = closed || Thread.currentThread().isInterrupted();
                }
            }
        }

        /**
         * The pause after a rejection: {@code probeInterval} doubled with each rejection in a
         * row, at most {@link #MAX_REJECTED_INTERVAL}; requests for fast probes do not cut it short.
         */
        private void backOff() {
            long millis = config.duration(PghaProperty.PROBE_INTERVAL).toMillis() << Math.min(rejections - 1, 20);
            // Real time, whatever clock the monitor measures probes on.
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(millis, MAX_REJECTED_INTERVAL.toMillis()));
            synchronized (wake) {
                for (long left = until - System.nanoTime(); !closed && left > 0; left = until - System.nanoTime()) {
                    try {
                        wake.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        closed = true;
                    }
                }
            }
        }

        void closeConnection() {
            Connection c = connection;
            connection = null;
            if (c != null) {
                try {
                    // abort, not close: close would wait on a hung node's socket.
                    c.abort(Runnable::run);
                } catch (SQLException | RuntimeException ignored) {
                    // it is going away either way
                }
            }
        }
    }

    private static String describe(Exception e) {
        String state = e instanceof SQLException ? ((SQLException) e).getSQLState() : null;
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return state == null ? message : message + " (SQLState " + state + ")";
    }

    // ------------------------------------------------------------------ publishing

    private void succeeded(HostSpec host, long sentAt, ProbeResult result) {
        List<ClusterEvent> events = new ArrayList<>();
        HostSpec fenced;
        synchronized (publishLock) {
            Topology before = topology;
            NodeState previous = before.node(host).orElseThrow();
            NodeRole role = result.primary() ? NodeRole.PRIMARY : NodeRole.REPLICA;
            NodeState now = new NodeState(host, role, true, result.lsn(), result.timeline(), sentAt, 0, null, false);
            if (!previous.up()) {
                events.add(event(ClusterEvent.Type.NODE_UP, host, role + ", timeline " + result.timeline()));
            } else if (previous.role() != NodeRole.UNKNOWN && previous.role() != role) {
                events.add(event(ClusterEvent.Type.ROLE_CHANGED, host, previous.role() + " -> " + role));
            }
            flushedLsns.put(host, result.flushLsn());
            Topology.Builder builder = before.toBuilder().node(now).takenAtNanos(nanoClock.getAsLong());
            serverIdentities.put(host, Long.toUnsignedString(result.systemIdentifier()) + "/" + result.startedMicros());
            refuseStrangers(before, builder, now, result.systemIdentifier(), events);
            Topology next = builder.build();
            next = withPrimarySample(next, now);
            next = checkHistory(next, events);
            fenced = publish(before, next, events);
        }
        if (fenced != null) {
            inUse.abort(fenced, "no longer takes writes");
        }
        fire(events);
    }

    private void failed(HostSpec host, long sentAt, String error, boolean timedOut) {
        List<ClusterEvent> events = new ArrayList<>();
        HostSpec fenced;
        boolean wentDown = false;
        synchronized (publishLock) {
            Topology before = topology;
            NodeState previous = before.node(host).orElseThrow();
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
            fenced = publish(before, checkHistory(before.toBuilder().node(now).takenAtNanos(nanoClock.getAsLong()).build(),
                    events), events);
        }
        if (wentDown) {
            inUse.abort(host, "is DOWN");
        }
        if (fenced != null && !fenced.equals(host)) {
            inUse.abort(fenced, "no longer takes writes");
        }
        fire(events);
    }

    /** Adds a primary's sample to the history when it comes from the node that takes writes. */
    private Topology withPrimarySample(Topology next, NodeState node) {
        WriteTarget target = next.writeTarget();
        if (node.role() != NodeRole.PRIMARY || !target.isOk() || !target.node().host().equals(node.host())) {
            return next;
        }
        boolean samePrimary = node.host().equals(historyOwner) && node.timeline() == historyTimeline
                && (history.isEmpty() || node.lsn() >= history.latestLsn());
        if (!samePrimary) {
            // Another primary, another timeline, or a position that went back: start afresh.
            history = PrimaryHistory.empty();
            historyOwner = node.host();
            historyTimeline = node.timeline();
        }
        if (node.lsn() >= 0 && (history.isEmpty() || node.probeSentAtNanos() - history.latestSentAtNanos() > 0)) {
            history = history.with(node.probeSentAtNanos(), node.lsn());
        }
        return next.toBuilder().primaryHistory(historyOwner, historyTimeline, history).build();
    }

    /**
     * The cluster's {@code system_identifier} is the one most nodes report (on a tie, the one
     * seen first); every node reporting another is refused, and the verdict is renewed for all
     * nodes whenever one reports, so a stranger probed early never passes for a member.
     */
    private void refuseStrangers(Topology before, Topology.Builder builder, NodeState reporting, long identifier,
            List<ClusterEvent> events) {
        systemIdentifiers.put(reporting.host(), identifier);
        Map<Long, Integer> counts = new HashMap<>();
        for (long id : systemIdentifiers.values()) {
            counts.merge(id, 1, Integer::sum);
        }
        long majority = identifier;
        int best = -1;
        // systemIdentifiers keeps insertion order, so the first identifier seen wins a tie.
        for (long id : systemIdentifiers.values()) {
            int count = counts.get(id);
            if (count > best) {
                best = count;
                majority = id;
            }
        }
        for (NodeState node : before.nodes()) {
            Long id = systemIdentifiers.get(node.host());
            if (id == null) {
                continue;
            }
            HostSpec alias = sameServerListedBefore(node.host());
            boolean refused = id != majority || alias != null;
            if (refused && !node.refused()) {
                String detail = alias != null
                        ? "the same server as " + alias + " (the same system identifier and start time): the URL names it"
                                + " twice, and only " + alias + " is used"
                        : "system_identifier " + Long.toUnsignedString(id) + " is not this cluster's "
                                + Long.toUnsignedString(majority) + ": the node belongs to another cluster and is never used";
                log.warn("pgha cluster {}: node {} refused: {}", name, node.host(), detail);
                events.add(event(ClusterEvent.Type.NODE_REFUSED, node.host(), detail));
            }
            NodeState state = node.host().equals(reporting.host()) ? reporting : node;
            builder.node(state.withRefused(refused));
        }
    }

    /** The node listed before {@code host} in the URL that is the same server, or null. */
    private HostSpec sameServerListedBefore(HostSpec host) {
        String identity = serverIdentities.get(host);
        if (identity == null) {
            return null;
        }
        for (HostSpec other : config.hosts()) {
            if (other.equals(host)) {
                return null;
            }
            if (identity.equals(serverIdentities.get(other))) {
                return other;
            }
        }
        return null;
    }

    /**
     * Keeps the newest history a write target had ({@link HistoryMark}) and reports a primary
     * whose history lacks it: an ERROR log line and a {@link ClusterEvent.Type#HISTORY_DIVERGED}
     * event, once per diverged primary and timeline. With {@code followDivergedHistory} the new
     * history is accepted at once; otherwise the write target stays DIVERGED.
     */
    private Topology checkHistory(Topology next, List<ClusterEvent> events) {
        WriteTarget target = next.writeTarget();
        if (target.status() == WriteTarget.Status.DIVERGED) {
            NodeState behind = target.behind();
            if (reportedDivergence == null || !reportedDivergence.host().equals(behind.host())
                    || reportedDivergence.timeline() != behind.timeline()) {
                reportedDivergence = behind;
                String detail = target.mark().describe(behind);
                boolean follow = config.flag(PghaProperty.FOLLOW_DIVERGED_HISTORY);
                log.error("pgha cluster {}: history diverged: {}. {}", name, detail, follow
                        ? "followDivergedHistory=true: writes go to it from now on"
                        : "Writes and reads are refused (SQLState 08R05) until " + target.mark().primary()
                                + " is primary again or the application calls acceptDivergedHistory()");
                events.add(event(ClusterEvent.Type.HISTORY_DIVERGED, behind.host(), detail));
            }
            if (config.flag(PghaProperty.FOLLOW_DIVERGED_HISTORY)) {
                return next.toBuilder().historyMark(target.mark().accept(behind)).build();
            }
            return next;
        }
        if (target.isOk()) {
            reportedDivergence = null;
            HistoryMark mark = next.historyMark();
            NodeState primary = target.node();
            HistoryMark advanced = HistoryMark.advance(mark, primary, flushedLsns.getOrDefault(primary.host(), Lsn.UNKNOWN));
            if (advanced != mark) {
                return next.toBuilder().historyMark(advanced).build();
            }
        }
        return next;
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
