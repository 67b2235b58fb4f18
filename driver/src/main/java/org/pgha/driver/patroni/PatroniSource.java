package org.pgha.driver.patroni;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.pgha.driver.PghaProperty;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.config.TrustedCertificates;
import org.pgha.driver.topology.ClusterMonitor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls Patroni's {@code GET /cluster} every {@code probeInterval} and tells the monitor which
 * members exist and which get no new reads ({@link ClusterMonitor#members}). When no endpoint
 * answers, the monitor keeps what it knows: the servers' own probes go on deciding roles and
 * health, so a Patroni outage changes nothing but discovery.
 */
public final class PatroniSource implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PatroniSource.class);

    private final PatroniClient client;
    private final ClusterMonitor monitor;
    private final long intervalMillis;
    private final Thread thread;
    private volatile boolean closed;
    private volatile PatroniView last;
    private volatile PatroniSettings settings;
    /** Polls between two reads of {@code /config}: it changes rarely. */
    static final int SETTINGS_EVERY = 20;

    public PatroniSource(PatroniClient client, ClusterMonitor monitor, long intervalMillis) {
        this.client = client;
        this.monitor = monitor;
        this.intervalMillis = Math.max(1, intervalMillis);
        this.thread = new Thread(this::run, "pgha-patroni-" + monitor.config().clusterKey());
        this.thread.setDaemon(true);
    }

    /**
     * The source {@code patroni} names, attached to the monitor and started; none without it.
     */
    public static Optional<PatroniSource> attachTo(ClusterMonitor monitor) {
        PghaConfig config = monitor.config();
        String endpoints = config.text(PghaProperty.PATRONI);
        if (endpoints == null) {
            return Optional.empty();
        }
        List<URI> uris = new ArrayList<>();
        for (String endpoint : endpoints.split(",")) {
            uris.add(URI.create(endpoint.trim()));
        }
        Duration timeout = config.duration(PghaProperty.PROBE_TIMEOUT);
        String trustFile = config.text(PghaProperty.PATRONI_SSL_ROOT_CERT);
        PatroniClient client = new PatroniClient(uris, timeout, config.text(PghaProperty.PATRONI_USER),
                config.text(PghaProperty.PATRONI_PASSWORD), trustFile == null ? null
                        : TrustedCertificates.context(TrustedCertificates.read(Path.of(trustFile))));
        PatroniSource source = new PatroniSource(client, monitor,
                config.duration(PghaProperty.PROBE_INTERVAL).toMillis());
        monitor.attach(source);
        return Optional.of(source.start());
    }

    /** Starts polling. */
    public PatroniSource start() {
        thread.start();
        return this;
    }

    /** The last view Patroni gave, or null before the first answer. */
    public PatroniView lastView() {
        return last;
    }

    /** Patroni's synchronous-mode settings as last read, or null before the first answer. */
    public PatroniSettings settings() {
        return settings;
    }

    /**
     * Reads {@code /config}; tells the monitor whether the synchronous standby's samples may
     * bound reads once the primary is gone (only with {@code synchronous_mode} and
     * {@code synchronous_mode_strict} on) and logs a WARN line when the cluster is not set up
     * for zero data loss, once for each change of the settings.
     */
    void readSettings() throws InterruptedException {
        PatroniSettings now;
        try {
            now = client.settings();
        } catch (IOException e) {
            return;
        }
        PatroniSettings before = settings;
        settings = now;
        monitor.trustSynchronousSet(now.dataLossRisk() == null);
        if (!now.equals(before) && now.dataLossRisk() != null) {
            log.warn("pgha cluster {}: not set up for zero data loss: {}", monitor.config().clusterKey(),
                    now.dataLossRisk());
        }
    }

    /** Asks Patroni once and passes its view on; false if no endpoint answered. */
    boolean pollOnce() throws InterruptedException {
        PatroniView view;
        try {
            view = client.cluster();
        } catch (IOException e) {
            return false;
        }
        PatroniView before = last;
        last = view;
        String pause = pauseNote(before, view);
        if (pause != null) {
            if (view.paused()) {
                log.warn("pgha cluster {}: {}", monitor.config().clusterKey(), pause);
            } else {
                log.info("pgha cluster {}: {}", monitor.config().clusterKey(), pause);
            }
        }
        List<HostSpec> listed = new ArrayList<>();
        Set<HostSpec> drained = new HashSet<>();
        for (PatroniView.Member m : view.members()) {
            HostSpec host = new HostSpec(m.host(), m.port());
            listed.add(host);
            if (m.isLeaving() || m.noLoadBalance()) {
                drained.add(host);
            }
        }
        monitor.members(listed, drained);
        return true;
    }

    /**
     * What an operator should read when Patroni's maintenance mode changes, or when a paused
     * cluster loses its leader (Patroni will promote nobody; writes wait up to
     * {@code failoverTimeout} for someone to); null if nothing changed.
     */
    static String pauseNote(PatroniView before, PatroniView now) {
        boolean wasPaused = before != null && before.paused();
        boolean hadLeader = before != null && before.hasLeader();
        if (now.paused() && !now.hasLeader() && (!wasPaused || hadLeader)) {
            return "Patroni is paused (maintenance mode) and lists no leader: it promotes nobody; writes wait up to"
                    + " failoverTimeout for a primary someone starts or promotes by hand";
        }
        if (now.paused() && !wasPaused) {
            return "Patroni is paused (maintenance mode): it will not fail over; if the primary is lost, writes wait"
                    + " up to failoverTimeout for a primary someone starts or promotes by hand";
        }
        if (!now.paused() && wasPaused) {
            return "Patroni is no longer paused: automatic failover is back";
        }
        return null;
    }

    private void run() {
        int failures = 0;
        long polls = 0;
        while (!closed) {
            try {
                if (polls++ % SETTINGS_EVERY == 0) {
                    readSettings();
                }
                if (pollOnce()) {
                    if (failures > 0) {
                        log.info("pgha cluster {}: Patroni answers again ({})", monitor.config().clusterKey(),
                                client.endpoints());
                    }
                    failures = 0;
                } else if (failures++ == 0) {
                    log.warn("pgha cluster {}: no Patroni endpoint of {} answers GET /cluster; members stay as they are",
                            monitor.config().clusterKey(), client.endpoints());
                }
                TimeUnit.MILLISECONDS.sleep(intervalMillis);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("pgha cluster {}: Patroni's view could not be applied: {}", monitor.config().clusterKey(),
                        e.toString());
                try {
                    TimeUnit.MILLISECONDS.sleep(intervalMillis);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
