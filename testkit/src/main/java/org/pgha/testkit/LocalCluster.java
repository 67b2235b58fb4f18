package org.pgha.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.pgha.testkit.internal.DataDirectories;
import org.pgha.testkit.internal.Lsn;
import org.pgha.testkit.internal.OsProcesses;
import org.pgha.testkit.internal.Ports;
import org.pgha.testkit.internal.TestCertificates;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL high-availability cluster on 127.0.0.1, for tests: a primary and
 * streaming standbys (by default one synchronous and one asynchronous), on free ports, in a
 * temporary directory, with the operations a failover test needs. Every operation returns
 * once its effect can be observed: {@link #crash} once the processes are gone,
 * {@link #promote} once the node accepts writes, {@link #follow} once the standby streams
 * the new primary's timeline, and so on.
 *
 * <pre>{@code
 * try (LocalCluster cluster = LocalCluster.builder().start()) {
 *     Node old = cluster.primary();
 *     cluster.crash(old);
 *     Node promoted = cluster.promote(cluster.synchronousStandby().orElseThrow());
 *     cluster.standbys().forEach(s -> cluster.follow(s, promoted));
 *     cluster.rejoin(old);
 * }
 * }</pre>
 *
 * <p>Server binaries come from {@link PgBinaries#resolve()}. PostgreSQL refuses to run as
 * root: when the JVM is root the servers run as {@code postgres} (or {@code nobody}).
 *
 * <p>Standbys are created without {@code pg_basebackup}, which the embedded binaries lack:
 * a cold copy of the cleanly stopped primary at setup, the low-level backup API
 * ({@code pg_backup_start}/{@code pg_backup_stop} and a file copy) for a later re-clone. A
 * standby that replayed past the new primary's promotion point is rewound with
 * {@code pg_rewind} where it exists, and re-cloned otherwise.
 *
 * <p>Hazards: {@link #close()} (or the JVM's shutdown hook, or the next cluster's start-up
 * after a JVM that was killed outright) kills every server and deletes every file; the
 * settings favour speed over durability ({@code fsync=off}: a killed process loses nothing,
 * only a host crash would). Operations are serialised on the cluster; read-outs are not.
 *
 * <p>With {@link Builder#tls()} every node serves TLS only, with certificates made at start-up
 * by the {@code openssl} command line: see {@link #rootCertificate()}.
 */
public final class LocalCluster implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalCluster.class);
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern SAFE_PASSWORD = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STREAM_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration FORK_DETECTION_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(20);

    private final Builder config;
    private final PgBinaries binaries;
    private final Path directory;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<Node, NodeState> states = new HashMap<>();
    private final List<String> runAs;
    private final Thread shutdownHook;
    private volatile Node primary;
    /** The TLS certificates, made at the start of {@link #create()}; null without TLS. */
    private volatile TestCertificates certificates;
    private int majorVersion;
    private boolean closed;

    /** What the cluster knows of one node beyond what the node reports. */
    private static final class NodeState {
        Process process;
        /** The node it streams from; null for a primary. */
        Node upstream;
        /** The standby this node, as a primary, waits for on commit; null for none. */
        Node synchronousStandby;
        boolean frozen;
    }

    private LocalCluster(Builder config) {
        this.config = config;
        this.binaries = config.binaries != null ? config.binaries : PgBinaries.resolve();
        this.runAs = OsProcesses.isRoot() ? OsProcesses.runAs(OsProcesses.serverUser()) : List.of();
        Path root = config.baseDirectory != null ? config.baseDirectory
                : Path.of(System.getProperty("java.io.tmpdir"), "pgha-testkit");
        try {
            Files.createDirectories(root);
            // Only the directories themselves: the root also holds other clusters' data directories.
            OsProcesses.makeDirectoryTraversable(root);
            StaleClusters.reap(root);
            this.directory = Files.createTempDirectory(root, "cluster-");
            Files.writeString(directory.resolve(StaleClusters.OWNER_FILE), Long.toString(ProcessHandle.current().pid()));
            OsProcesses.makeDirectoryTraversable(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the cluster directory under " + root, e);
        }
        this.shutdownHook = new Thread(this::destroy, "pgha-testkit-shutdown-" + directory.getFileName());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** A builder with the defaults: a primary, one synchronous and one asynchronous standby. */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts a cluster with the defaults. */
    public static LocalCluster start() {
        return builder().start();
    }

    // ------------------------------------------------------------------ creation

    private void create() {
        long started = System.nanoTime();
        if (config.tls) {
            // Outside the data directories, which re-clones and rewinds replace: every node and
            // every copy of a data directory finds them at the same absolute paths.
            Path tls = directory.resolve("tls");
            certificates = TestCertificates.create(tls, config.openssl);
            ownByServerUser(tls);
        }
        int[] ports = freePorts(config.standbys + 1);
        for (int i = 0; i < ports.length; i++) {
            String name = "node" + (i + 1);
            nodes.add(new Node(name, ports[i], directory.resolve(name)));
            states.put(nodes.get(i), new NodeState());
        }
        Node first = nodes.get(0);
        initdb(first);
        primary = first;
        writeNodeConf(first);
        startProcess(first);
        awaitReady(first);
        majorVersion = queryInt(first, "SELECT current_setting('server_version_num')::int / 10000");
        if (!config.database.equals("postgres")) {
            execute(first, "CREATE DATABASE " + config.database);
        }
        stopProcess(first);
        List<Node> standbys = nodes.subList(1, nodes.size());
        for (int i = 0; i < standbys.size(); i++) {
            Node standby = standbys.get(i);
            DataDirectories.copy(first.dataDirectory(), standby.dataDirectory(), false);
            state(standby).upstream = first;
            if (i < config.synchronousStandbys) {
                // One synchronous standby, as Patroni's synchronous_mode keeps: the first.
                state(first).synchronousStandby = standby;
            }
            prepareDataDirectory(standby);
        }
        writeNodeConf(first);
        for (Node node : nodes) {
            startProcess(node);
        }
        for (Node node : nodes) {
            awaitReady(node);
        }
        for (Node standby : standbys) {
            awaitStreaming(standby, first);
        }
        awaitSynchronous(first);
        log.info("{} started in {} ms: {} (PostgreSQL {}, {})", this, elapsedMs(started), nodes, majorVersion, binaries.source());
    }

    private void initdb(Node node) {
        try {
            Files.createDirectories(node.directory());
            Path pwfile = node.directory().resolve("pwfile");
            Files.writeString(pwfile, config.password + "\n");
            ownByServerUser(node.directory());
            List<String> command = new ArrayList<>(runAs);
            command.addAll(List.of(binaries.binary("initdb").toString(), "-D", node.dataDirectory().toString(),
                    "-U", config.user, "--pwfile=" + pwfile, "--auth-host=scram-sha-256", "--auth-local=trust",
                    "-E", "UTF8", "--locale=C", "--no-sync"));
            runServerCommand(node, command, Duration.ofMinutes(2));
            Files.delete(pwfile);
            Path conf = node.dataDirectory().resolve("postgresql.conf");
            Files.writeString(conf, baseSettings(), StandardOpenOption.APPEND);
            Files.writeString(node.dataDirectory().resolve("pg_hba.conf"), hbaConf());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot initialise " + node, e);
        }
    }

    /**
     * Password authentication over TCP; with TLS only over TLS, and a plaintext client is
     * refused outright ("no encryption") rather than for want of a matching line.
     */
    private String hbaConf() {
        if (certificates == null) {
            return "local all all trust\n"
                    + "host all all 127.0.0.1/32 scram-sha-256\n"
                    + "host replication all 127.0.0.1/32 scram-sha-256\n";
        }
        return "local all all trust\n"
                + "hostssl all all 127.0.0.1/32 scram-sha-256\n"
                + "hostssl replication all 127.0.0.1/32 scram-sha-256\n"
                + "hostnossl all all 127.0.0.1/32 reject\n"
                + "hostnossl replication all 127.0.0.1/32 reject\n";
    }

    private String baseSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listen_addresses", "'127.0.0.1'");
        settings.put("unix_socket_directories", "''");
        settings.put("max_connections", "200");
        settings.put("shared_buffers", "32MB");
        // A killed server process loses nothing with fsync off (the kernel keeps its page
        // cache); only a host crash would, and a test cluster never outlives its host.
        settings.put("fsync", "off");
        settings.put("synchronous_commit", "on");
        settings.put("wal_level", "replica");
        settings.put("wal_log_hints", "on");
        settings.put("max_wal_senders", "10");
        settings.put("max_replication_slots", "10");
        settings.put("wal_keep_size", "512MB");
        settings.put("hot_standby", "on");
        settings.put("hot_standby_feedback", "on");
        settings.put("wal_receiver_status_interval", "1s");
        settings.put("wal_retrieve_retry_interval", "200ms");
        // A rewound or restarted standby replays from the last checkpoint before its fork: the
        // default 5 min between checkpoints let that reach minutes of WAL under a busy load.
        settings.put("checkpoint_timeout", "30s");
        settings.put("lc_messages", "'C'");
        settings.put("log_line_prefix", "'%m [%p] '");
        settings.put("logging_collector", "off");
        if (certificates != null) {
            settings.put("ssl", "on");
            settings.put("ssl_cert_file", confString(certificates.serverCertificate().toString()));
            settings.put("ssl_key_file", confString(certificates.serverKey().toString()));
        }
        settings.putAll(config.settings);
        StringBuilder sb = new StringBuilder("\n# pgha testkit\n");
        settings.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        // The node's own settings (port, upstream, synchronous standby) come last and win.
        sb.append("include 'pgha-node.conf'\n");
        return sb.toString();
    }

    /** Writes the node's own settings from what the cluster knows of it. */
    private void writeNodeConf(Node node) {
        NodeState st = state(node);
        StringBuilder sb = new StringBuilder("# written by the pgha testkit for ").append(node.name()).append('\n');
        sb.append("port = ").append(node.port()).append('\n');
        sb.append("cluster_name = '").append(node.name()).append("'\n");
        sb.append("synchronous_standby_names = '")
                .append(st.synchronousStandby == null ? "" : st.synchronousStandby.name()).append("'\n");
        if (st.upstream != null) {
            String conninfo = "host=127.0.0.1 port=" + st.upstream.port() + " user=" + config.user
                    + " password=" + config.password + " application_name=" + node.name() + libpqTls();
            sb.append("primary_conninfo = ").append(confString(conninfo)).append('\n');
        }
        try {
            Path file = node.dataDirectory().resolve("pgha-node.conf");
            Files.writeString(file, sb.toString());
            ownByServerUser(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the settings of " + node, e);
        }
    }

    /**
     * The TLS part of a libpq connection string between nodes (replication, pg_rewind), empty
     * without TLS. {@code verify-ca} rather than {@code verify-full}: libpq matches an IP
     * address against the certificate's subjectAltName only from PostgreSQL 14 on, and the
     * testkit also runs older servers.
     */
    private String libpqTls() {
        TestCertificates tls = certificates;
        return tls == null ? "" : " sslmode=verify-ca sslrootcert=" + conninfoValue(tls.rootCertificate().toString());
    }

    /** A value of a libpq connection string, quoted if it has to be. */
    private static String conninfoValue(String value) {
        if (!value.isEmpty() && value.chars().noneMatch(c -> c == '\'' || c == '\\' || Character.isWhitespace(c))) {
            return value;
        }
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** A string literal of {@code postgresql.conf}. */
    private static String confString(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /** Node settings, {@code standby.signal} and ownership for a standby's data directory. */
    private void prepareDataDirectory(Node standby) {
        writeNodeConf(standby);
        try {
            Files.writeString(standby.dataDirectory().resolve("standby.signal"), "");
            Files.setPosixFilePermissions(standby.dataDirectory(), PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + standby, e);
        }
        ownByServerUser(standby.directory());
    }

    private void ownByServerUser(Path path) {
        if (!runAs.isEmpty()) {
            OsProcesses.chownTree(path, OsProcesses.serverUser());
        }
    }

    private static int[] freePorts(int count) {
        return Ports.free(count, new java.util.HashSet<>());
    }

    // ------------------------------------------------------------------ processes

    private void startProcess(Node node) {
        NodeState st = state(node);
        if (st.process != null && st.process.isAlive()) {
            throw new IllegalStateException(node + " is already running");
        }
        List<String> command = new ArrayList<>(runAs);
        command.addAll(List.of(binaries.binary("postgres").toString(), "-D", node.dataDirectory().toString()));
        ProcessBuilder pb = new ProcessBuilder(command).directory(node.directory().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(node.logFile().toFile()));
        pb.environment().put("LC_ALL", "C");
        // The server's libpq (a standby's WAL receiver) looks under $HOME/.postgresql for a
        // client certificate and fails on one it may not read, such as root's when the server
        // runs as another user: the node's own directory keeps the JVM user's files out.
        pb.environment().put("HOME", node.directory().toString());
        try {
            st.process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + node, e);
        }
    }

    private void runServerCommand(Node node, List<String> command, Duration timeout) {
        // Commands run in the node's directory: the server user may not enter the JVM's own.
        // It is their home too, as for the server (see startProcess).
        List<String> inDir = new ArrayList<>(List.of("sh", "-c", "cd \"$0\" && export HOME=\"$0\" && exec \"$@\"",
                node.directory().toString()));
        inDir.addAll(command);
        OsProcesses.run(inDir, timeout);
    }

    /** Waits until the node accepts connections; fails at once if its process died. */
    private void awaitReady(Node node) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            Process process = state(node).process;
            if (process == null || !process.isAlive()) {
                throw new IllegalStateException(node + " exited while starting:\n" + logTail(node));
            }
            try (Connection c = connect(node, 2, 5); Statement s = c.createStatement()) {
                s.execute("SELECT 1");
                return;
            } catch (SQLException e) {
                last = e;
            }
            OsProcesses.sleep(POLL);
        }
        throw new IllegalStateException(node + " did not accept connections within " + START_TIMEOUT
                + " (" + (last == null ? "" : last.getMessage()) + "):\n" + logTail(node));
    }

    /** Fast shutdown (SIGINT); SIGKILL if it overruns. */
    private void stopProcess(Node node) {
        NodeState st = state(node);
        Process process = st.process;
        if (process == null) {
            return;
        }
        if (st.frozen) {
            thawTree(node);
        }
        List<Long> tree = OsProcesses.tree(process.pid());
        OsProcesses.signal("INT", List.of(process.pid()));
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("{} did not stop within {}: killing it", node, STOP_TIMEOUT);
                OsProcesses.signal("KILL", OsProcesses.tree(process.pid()));
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + node, e);
        }
        OsProcesses.awaitGone(tree, STOP_TIMEOUT);
        st.process = null;
    }

    private void killTree(Node node) {
        NodeState st = state(node);
        Process process = st.process;
        if (process == null) {
            return;
        }
        List<Long> tree = OsProcesses.tree(process.pid());
        OsProcesses.signal("KILL", tree);
        if (!OsProcesses.awaitGone(tree, STOP_TIMEOUT)) {
            throw new IllegalStateException("processes of " + node + " survived SIGKILL: " + tree);
        }
        try {
            process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        st.process = null;
        st.frozen = false;
    }

    private void thawTree(Node node) {
        Process process = state(node).process;
        if (process != null) {
            OsProcesses.signal("CONT", OsProcesses.tree(process.pid()));
        }
        state(node).frozen = false;
    }

    // ------------------------------------------------------------------ operations

    /**
     * Kills the node's server outright: SIGKILL to the postmaster and all its backends, as a
     * host or container crash would. Returns once every process is gone and the port refuses
     * connections. The data directory stays as the crash left it.
     */
    public synchronized void crash(Node node) {
        requireRunning(node);
        killTree(node);
        log.info("{}: crashed {}", this, node);
    }

    /**
     * Freezes the node: SIGSTOP to the postmaster and all its backends. Its sockets stay open
     * and connections are still accepted by the kernel, but nothing answers: a hung host.
     * Returns once every process is stopped.
     */
    public synchronized void freeze(Node node) {
        requireRunning(node);
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        // A backend forked while we signal would escape: repeat until the tree is stable and all stopped.
        while (true) {
            List<Long> tree = OsProcesses.tree(state(node).process.pid());
            OsProcesses.signal("STOP", tree);
            state(node).frozen = true;
            if (awaitState(tree, 'T') && OsProcesses.tree(state(node).process.pid()).equals(tree)) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not freeze every process of " + node);
            }
        }
        log.info("{}: froze {}", this, node);
    }

    /** Undoes {@link #freeze}: SIGCONT to every process of the node. Returns once none is stopped. */
    public synchronized void thaw(Node node) {
        requireRunning(node);
        List<Long> tree = OsProcesses.tree(state(node).process.pid());
        thawTree(node);
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        while (tree.stream().anyMatch(p -> OsProcesses.state(p) == 'T')) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not thaw " + node);
            }
            OsProcesses.sleep(Duration.ofMillis(5));
        }
        log.info("{}: thawed {}", this, node);
    }

    private static boolean awaitState(List<Long> pids, char wanted) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            boolean all = pids.stream().allMatch(p -> {
                char s = OsProcesses.state(p);
                return s == wanted || s == 'X' || s == 'Z';
            });
            if (all) {
                return true;
            }
            OsProcesses.sleep(Duration.ofMillis(2));
        }
        return false;
    }

    /** Stops the node cleanly (fast shutdown). Returns once its processes are gone. */
    public synchronized void stop(Node node) {
        requireRunning(node);
        stopProcess(node);
        log.info("{}: stopped {}", this, node);
    }

    /**
     * Starts a stopped or crashed node with its current data directory and settings; a node
     * that was a primary comes back as a primary (on its old timeline: that is how a test
     * makes a split brain). Returns once it accepts connections.
     */
    public synchronized void start(Node node) {
        requireOpen();
        if (isRunning(node)) {
            throw new IllegalStateException(node + " is already running");
        }
        startProcess(node);
        awaitReady(node);
        log.info("{}: started {}", this, node);
    }

    /**
     * What a failover manager does once the primary is gone (crashed, frozen, stopped):
     * promotes {@code standby} and re-points every other running standby to it. The old
     * primary is left as it is, for {@link #rejoin} once it is fenced.
     *
     * @return the new primary
     */
    public synchronized Node failOver(Node standby) {
        Node old = primary;
        Node promoted = promote(standby);
        for (Node node : nodes) {
            if (node != promoted && node != old && isRunning(node)) {
                follow(node, promoted);
            }
        }
        return promoted;
    }

    /**
     * Promotes a standby. Returns once it accepts writes; it has no synchronous standby until
     * one {@link #follow follows} it. The other standbys still point at the old primary.
     */
    public synchronized Node promote(Node standby) {
        requireRunning(standby);
        long started = System.nanoTime();
        NodeState st = state(standby);
        if (queryBoolean(standby, "SELECT NOT pg_is_in_recovery()")) {
            throw new IllegalStateException(standby + " is not a standby");
        }
        if (!queryBoolean(standby, "SELECT pg_promote(true, 60)")) {
            throw new IllegalStateException(standby + " was not promoted within 60 s:\n" + logTail(standby));
        }
        st.upstream = null;
        st.synchronousStandby = null;
        writeNodeConf(standby);
        execute(standby, "SELECT pg_reload_conf()");
        awaitUntil(standby + " accepts writes", START_TIMEOUT, () -> {
            try (Connection c = connect(standby, 2, 5); Statement s = c.createStatement()) {
                // A transaction id is only assigned where writes are possible.
                s.execute("SELECT pg_current_xact_id()");
                return true;
            } catch (SQLException e) {
                return false;
            }
        });
        primary = standby;
        log.info("{}: promoted {} in {} ms, timeline {}", this, standby, elapsedMs(started), timeline(standby));
        return standby;
    }

    /**
     * Re-points a standby at a new primary. A standby that replayed past the new primary's
     * promotion point is rewound ({@code pg_rewind}) or, without it, re-cloned. Returns once it
     * streams the new primary's timeline. If the new primary has no synchronous standby yet,
     * this one becomes it, as Patroni's synchronous mode would choose.
     */
    public synchronized void follow(Node standby, Node newPrimary) {
        requireOpen();
        if (standby == newPrimary) {
            throw new IllegalArgumentException(standby + " cannot follow itself");
        }
        long started = System.nanoTime();
        repoint(standby, newPrimary);
        log.info("{}: {} follows {} ({} ms)", this, standby, newPrimary, elapsedMs(started));
    }

    /**
     * Brings an old primary (crashed or stopped) back as a standby of the current primary,
     * rewound or re-cloned as needed. Returns once it streams the current timeline.
     */
    public synchronized void rejoin(Node oldPrimary) {
        requireOpen();
        Node current = primary;
        if (oldPrimary == current) {
            throw new IllegalArgumentException(oldPrimary + " is the current primary: promote another node first");
        }
        long started = System.nanoTime();
        repoint(oldPrimary, current);
        log.info("{}: {} rejoined as a standby of {} ({} ms)", this, oldPrimary, current, elapsedMs(started));
    }

    private void repoint(Node node, Node upstream) {
        requireRunning(upstream);
        stopProcess(node);
        NodeState st = state(node);
        st.upstream = upstream;
        st.synchronousStandby = null;
        if (binaries.hasPgRewind()) {
            rewind(node, upstream);
            prepareDataDirectory(node);
            startProcess(node);
            awaitReady(node);
            awaitStreaming(node, upstream);
        } else {
            prepareDataDirectory(node);
            long logOffset = logSize(node);
            startProcess(node);
            if (!awaitStreamingOrFork(node, upstream, logOffset)) {
                stopProcess(node);
                reclone(node, upstream);
                startProcess(node);
                awaitReady(node);
                awaitStreaming(node, upstream);
            }
        }
        NodeState up = state(upstream);
        if (up.synchronousStandby == null && config.synchronousStandbys > 0 && upstream == primary) {
            up.synchronousStandby = node;
            writeNodeConf(upstream);
            execute(upstream, "SELECT pg_reload_conf()");
            awaitSynchronous(upstream);
        }
    }

    private void rewind(Node node, Node source) {
        // pg_rewind reads the source's control file: make it show the new timeline.
        execute(source, "CHECKPOINT");
        List<String> command = new ArrayList<>(runAs);
        command.addAll(List.of(binaries.binary("pg_rewind").toString(),
                "--target-pgdata=" + node.dataDirectory(),
                "--source-server=host=127.0.0.1 port=" + source.port() + " user=" + config.user
                        + " password=" + config.password + " dbname=postgres" + libpqTls()));
        runServerCommand(node, command, Duration.ofMinutes(5));
        // pg_rewind copied the source's configuration files, its node settings included.
        deleteIfExists(node.dataDirectory().resolve("postgresql.auto.conf"));
        log.debug("{}: rewound {} from {}", this, node, source);
    }

    /** A fresh hot copy of a running node through the low-level backup API. */
    private void reclone(Node node, Node source) {
        log.info("{}: {} diverged from {}: re-cloning it", this, node, source);
        OsProcesses.deleteTree(node.dataDirectory());
        try (Connection c = connect(source, 5, 300); Statement s = c.createStatement()) {
            s.execute(majorVersion >= 15 ? "SELECT pg_backup_start('pgha-testkit', true)"
                    : "SELECT pg_start_backup('pgha-testkit', true, false)");
            DataDirectories.copy(source.dataDirectory(), node.dataDirectory(), true);
            String stop = majorVersion >= 15 ? "SELECT labelfile, spcmapfile FROM pg_backup_stop(false)"
                    : "SELECT labelfile, spcmapfile FROM pg_stop_backup(false, false)";
            try (ResultSet rs = s.executeQuery(stop)) {
                rs.next();
                Files.writeString(node.dataDirectory().resolve("backup_label"), rs.getString(1));
                String spcmap = rs.getString(2);
                if (spcmap != null && !spcmap.isEmpty()) {
                    Files.writeString(node.dataDirectory().resolve("tablespace_map"), spcmap);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot clone " + source + " into " + node, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clone " + source + " into " + node, e);
        }
        prepareDataDirectory(node);
    }

    /** Pauses WAL replay on a standby (it still receives WAL). Returns once replay is paused. */
    public synchronized void pauseReplay(Node standby) {
        setReplayPaused(standby, true);
    }

    /** Resumes WAL replay on a standby. Returns once replay runs again. */
    public synchronized void resumeReplay(Node standby) {
        setReplayPaused(standby, false);
    }

    private void setReplayPaused(Node standby, boolean paused) {
        requireRunning(standby);
        execute(standby, paused ? "SELECT pg_wal_replay_pause()" : "SELECT pg_wal_replay_resume()");
        // Before 14 a pause request counts as paused at once; from 14 on, the state says when it took effect.
        String state = majorVersion >= 14 ? "SELECT pg_get_wal_replay_pause_state() = 'paused'" : "SELECT pg_is_wal_replay_paused()";
        awaitUntil(standby + (paused ? " pauses" : " resumes") + " replay", STREAM_TIMEOUT,
                () -> queryBoolean(standby, state) == paused);
        log.info("{}: {} replay on {}", this, paused ? "paused" : "resumed", standby);
    }

    // ------------------------------------------------------------------ read-outs

    /** All nodes, in name order, whatever their role. */
    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    /** The node named {@code name} ({@code node1}, ...). */
    public Node node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node named '" + name + "' in " + nodes));
    }

    /** The node this cluster made primary last (at start or by {@link #promote}). */
    public Node primary() {
        return primary;
    }

    /** Every node but the current primary. */
    public List<Node> standbys() {
        Node p = primary;
        return nodes.stream().filter(n -> n != p).collect(Collectors.toUnmodifiableList());
    }

    /** The standby the current primary waits for on commit, if it has one. */
    public Optional<Node> synchronousStandby() {
        return Optional.ofNullable(state(primary).synchronousStandby);
    }

    /** Whether the node's server process runs (it may be frozen). */
    public synchronized boolean isRunning(Node node) {
        Process p = state(node).process;
        return p != null && p.isAlive();
    }

    /** What the node reports right now: {@link Role#DOWN} if it does not answer within 2 s. */
    public Role role(Node node) {
        try (Connection c = connect(node, 2, 2); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1) ? Role.STANDBY : Role.PRIMARY;
        } catch (SQLException e) {
            return Role.DOWN;
        }
    }

    /** The timeline the node writes (a primary) or receives (a standby). */
    public int timeline(Node node) {
        String sql = "SELECT CASE WHEN pg_is_in_recovery()"
                + " THEN (SELECT received_tli FROM pg_stat_wal_receiver)"
                + " ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END";
        return queryInt(node, sql);
    }

    /** The primary's current WAL position, or a standby's last replayed one, in bytes. */
    public long lsn(Node node) {
        return Lsn.parse(queryString(node,
                "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text"));
    }

    /**
     * How many sessions of {@code node} are waiting for a synchronous standby to confirm their
     * commit ({@code wait_event = 'SyncRep'}): their commit record is written, their client has
     * no answer yet. A test polls this instead of sleeping while a standby is frozen.
     */
    public int commitsAwaitingStandby(Node node) {
        return queryInt(node, "SELECT count(*)::int FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
    }

    /** The last WAL position a standby received and flushed, in bytes. */
    public long receivedLsn(Node standby) {
        return Lsn.parse(queryString(standby, "SELECT pg_last_wal_receive_lsn()::text"));
    }

    /** How far a standby's replay is behind the current primary, in bytes (0 if it is ahead). */
    public long lagBytes(Node standby) {
        long primaryLsn = lsn(primary);
        return Math.max(0, primaryLsn - lsn(standby));
    }

    /**
     * The standby's {@code sync_state} in its upstream's {@code pg_stat_replication}
     * ({@code sync}, {@code async}, {@code potential}, {@code quorum}), empty if it is not
     * connected there.
     */
    public Optional<String> syncState(Node standby) {
        Node upstream = state(standby).upstream;
        if (upstream == null) {
            return Optional.empty();
        }
        try (Connection c = connect(upstream, 5, 10);
             PreparedStatement ps = c.prepareStatement(
                     "SELECT sync_state FROM pg_stat_replication WHERE application_name = ? AND state = 'streaming'")) {
            ps.setString(1, standby.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read pg_stat_replication on " + upstream, e);
        }
    }

    /**
     * Waits until every running standby of the primary, with replay not paused, has replayed
     * the primary's current WAL position.
     */
    public void awaitReplication(Duration timeout) {
        Node p = primary;
        long target = lsn(p);
        for (Node standby : standbys()) {
            if (isRunning(standby) && !state(standby).frozen && state(standby).upstream == p
                    && !queryBoolean(standby, "SELECT pg_is_wal_replay_paused()")) {
                awaitUntil(standby + " replays up to " + Lsn.format(target), timeout, () -> lsn(standby) >= target);
            }
        }
    }

    // ------------------------------------------------------------------ connections

    /** The database's name ({@code pgha} by default). */
    public String database() {
        return config.database;
    }

    /** The superuser's name ({@code pgha} by default). */
    public String user() {
        return config.user;
    }

    /** The superuser's password. */
    public String password() {
        return config.password;
    }

    /** Whether the nodes serve TLS, and only TLS ({@link Builder#tls()}). */
    public boolean isTls() {
        return certificates != null;
    }

    /**
     * The PEM certificate of the cluster's private test authority, which signed every node's
     * server certificate (for {@code IP:127.0.0.1} and {@code DNS:localhost}): a client's
     * {@code sslrootcert}, as in
     * {@code jdbc:postgresql://127.0.0.1:PORT/pgha?sslmode=verify-full&sslrootcert=PATH}.
     *
     * @return the file, in the cluster's directory; empty if the cluster does not serve TLS
     */
    public Optional<Path> rootCertificate() {
        TestCertificates tls = certificates;
        return tls == null ? Optional.empty() : Optional.of(tls.rootCertificate());
    }

    /**
     * The PEM certificate of another self-signed authority, which signed nothing the cluster
     * presents: a client that trusts only it and verifies the server ({@code verify-ca},
     * {@code verify-full}) must refuse to connect. Made with {@code openssl} on the first
     * call, in the cluster's directory.
     *
     * @throws IllegalStateException if the cluster does not serve TLS, or openssl fails
     */
    public Path untrustedRootCertificate() {
        TestCertificates tls = certificates;
        if (tls == null) {
            throw new IllegalStateException(this + " does not serve TLS: build it with LocalCluster.builder().tls()");
        }
        return tls.untrustedRootCertificate();
    }

    /**
     * A pgjdbc URL of one node: {@code jdbc:postgresql://127.0.0.1:PORT/DATABASE}. It names no
     * TLS parameters, also on a TLS cluster: pgjdbc's default {@code sslmode=prefer} then uses
     * TLS without verifying the server; add {@code ?sslmode=verify-full&sslrootcert=} and the
     * {@link #rootCertificate()} to verify it.
     */
    public String jdbcUrl(Node node) {
        return "jdbc:postgresql://" + node.hostAndPort() + "/" + config.database;
    }

    /** Every node's {@code host:port}, comma-separated in name order, for a multi-host URL. */
    public String hosts() {
        return nodes.stream().map(Node::hostAndPort).collect(Collectors.joining(","));
    }

    /**
     * A new pgjdbc connection to one node as the superuser (connect timeout 5 s, no read
     * timeout); on a TLS cluster with {@code sslmode=verify-full} against the
     * {@link #rootCertificate()}.
     */
    public Connection connect(Node node) throws SQLException {
        return connect(node, config.database, 5, 0);
    }

    /** An administrative connection, to the {@code postgres} database, which exists from the start. */
    private Connection connect(Node node, int connectTimeoutSeconds, int socketTimeoutSeconds) throws SQLException {
        return connect(node, "postgres", connectTimeoutSeconds, socketTimeoutSeconds);
    }

    private Connection connect(Node node, String database, int connectTimeoutSeconds, int socketTimeoutSeconds)
            throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", config.user);
        props.setProperty("password", config.password);
        props.setProperty("connectTimeout", Integer.toString(connectTimeoutSeconds));
        props.setProperty("loginTimeout", Integer.toString(connectTimeoutSeconds));
        props.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        props.setProperty("ApplicationName", "pgha-testkit");
        TestCertificates tls = certificates;
        if (tls != null) {
            props.setProperty("sslmode", "verify-full");
            props.setProperty("sslrootcert", tls.rootCertificate().toString());
        }
        return DriverManager.getConnection("jdbc:postgresql://" + node.hostAndPort() + "/" + database, props);
    }

    private void execute(Node node, String sql) {
        try (Connection c = connect(node, 5, 120); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(node + ": " + sql + " failed: " + e.getMessage(), e);
        }
    }

    private String queryString(Node node, String sql) {
        try (Connection c = connect(node, 5, 30); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(node + ": " + sql + " failed: " + e.getMessage(), e);
        }
    }

    private int queryInt(Node node, String sql) {
        String value = queryString(node, sql);
        if (value == null) {
            throw new IllegalStateException(node + ": " + sql + " returned no value");
        }
        return Integer.parseInt(value);
    }

    private boolean queryBoolean(Node node, String sql) {
        return "t".equals(queryString(node, sql));
    }

    // ------------------------------------------------------------------ waiting

    private void awaitStreaming(Node standby, Node upstream) {
        awaitUntil(standby + " streams from " + upstream, STREAM_TIMEOUT, () -> isStreaming(standby, upstream));
    }

    /**
     * Waits until the standby streams from its upstream (true) or its log says that it
     * replayed past the upstream's promotion point (false). A standby that does neither
     * within {@link #FORK_DETECTION_TIMEOUT} is treated as diverged.
     */
    private boolean awaitStreamingOrFork(Node standby, Node upstream, long logOffset) {
        long deadline = System.nanoTime() + FORK_DETECTION_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (isStreaming(standby, upstream)) {
                return true;
            }
            String log = logSince(standby, logOffset);
            if (log.contains("forked off current database system timeline") || log.contains("not in this server's history")) {
                return false;
            }
            Process process = state(standby).process;
            if (process == null || !process.isAlive()) {
                return false;
            }
            OsProcesses.sleep(POLL);
        }
        log.warn("{}: {} neither streams from {} nor reports a fork after {}: re-cloning it",
                this, standby, upstream, FORK_DETECTION_TIMEOUT);
        return false;
    }

    private boolean isStreaming(Node standby, Node upstream) {
        try {
            int upstreamTimeline = timeline(upstream);
            try (Connection c = connect(standby, 2, 5); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT status, received_tli FROM pg_stat_wal_receiver")) {
                if (!rs.next() || !"streaming".equals(rs.getString(1)) || rs.getInt(2) != upstreamTimeline) {
                    return false;
                }
            }
            try (Connection c = connect(upstream, 2, 5);
                 PreparedStatement ps = c.prepareStatement(
                         "SELECT 1 FROM pg_stat_replication WHERE application_name = ? AND state = 'streaming'")) {
                ps.setString(1, standby.name());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        } catch (SQLException | IllegalStateException e) {
            return false;
        }
    }

    private void awaitSynchronous(Node primaryNode) {
        Node sync = state(primaryNode).synchronousStandby;
        if (sync != null) {
            awaitUntil(sync + " is synchronous", STREAM_TIMEOUT, () -> syncState(sync).filter("sync"::equals).isPresent());
        }
    }

    private void awaitUntil(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting until " + what);
            }
            OsProcesses.sleep(POLL);
        }
    }

    // ------------------------------------------------------------------ logs

    private static long logSize(Node node) {
        try {
            return Files.size(node.logFile());
        } catch (IOException e) {
            return 0;
        }
    }

    private static String logSince(Node node, long offset) {
        try {
            byte[] all = Files.readAllBytes(node.logFile());
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The last lines of a node's server log, for failure messages. */
    public String logTail(Node node) {
        String all = logSince(node, 0);
        List<String> lines = all.lines().collect(Collectors.toList());
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private static void deleteIfExists(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    private NodeState state(Node node) {
        NodeState st = states.get(Objects.requireNonNull(node, "node"));
        if (st == null) {
            throw new IllegalArgumentException(node + " is not a node of " + this);
        }
        return st;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private void requireRunning(Node node) {
        requireOpen();
        if (!isRunning(node)) {
            throw new IllegalStateException(node + " is not running");
        }
    }

    private static long elapsedMs(long startedNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }

    /** Kills every server of the cluster and deletes its directory. Idempotent. */
    @Override
    public void close() {
        destroy();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs or ran already
        }
    }

    private synchronized void destroy() {
        if (closed) {
            return;
        }
        closed = true;
        for (Node node : nodes) {
            try {
                killTree(node);
            } catch (RuntimeException e) {
                log.warn("{}: could not kill {}", this, node, e);
            }
        }
        OsProcesses.deleteTree(directory);
        log.info("{} closed", this);
    }

    @Override
    public String toString() {
        return "LocalCluster[" + directory.getFileName() + "]";
    }

    /** Settings of a {@link LocalCluster}, validated when set. */
    public static final class Builder {
        private int standbys = 2;
        private int synchronousStandbys = 1;
        private String database = "pgha";
        private String user = "pgha";
        private String password = "pgha";
        private final Map<String, String> settings = new LinkedHashMap<>();
        private PgBinaries binaries;
        private Path baseDirectory;
        private boolean tls;
        private String openssl = TestCertificates.OPENSSL;

        private Builder() {
        }

        /** How many standbys (default 2); 0 gives a lone primary. */
        public Builder standbys(int count) {
            if (count < 0 || count > 8) {
                throw new IllegalArgumentException("standbys must be between 0 and 8, not " + count);
            }
            this.standbys = count;
            return this;
        }

        /** Whether the first standby is synchronous (1, the default) or all are asynchronous (0). */
        public Builder synchronousStandbys(int count) {
            if (count < 0 || count > 1) {
                throw new IllegalArgumentException("synchronousStandbys must be 0 or 1, not " + count);
            }
            this.synchronousStandbys = count;
            return this;
        }

        /** The database to create (default {@code pgha}). */
        public Builder database(String name) {
            this.database = identifier("database", name);
            return this;
        }

        /** The superuser's name (default {@code pgha}). */
        public Builder user(String name) {
            this.user = identifier("user", name);
            return this;
        }

        /** The superuser's password (default {@code pgha}): letters, digits, {@code _ . -}. */
        public Builder password(String password) {
            if (password == null || !SAFE_PASSWORD.matcher(password).matches()) {
                throw new IllegalArgumentException("password must be 1 to 64 letters, digits, '_', '.' or '-'");
            }
            this.password = password;
            return this;
        }

        /** A {@code postgresql.conf} setting for every node, such as {@code ("max_connections", "300")}. */
        public Builder setting(String name, String value) {
            identifier("setting", name);
            Objects.requireNonNull(value, "value");
            if (value.contains("\n")) {
                throw new IllegalArgumentException("setting " + name + " has a line break in its value");
            }
            settings.put(name, value.matches("[A-Za-z0-9_.\\-]+") ? value : "'" + value.replace("'", "''") + "'");
            return this;
        }

        /** The server binaries (default {@link PgBinaries#resolve()}). */
        public Builder binaries(PgBinaries binaries) {
            this.binaries = Objects.requireNonNull(binaries, "binaries");
            return this;
        }

        /** Where cluster directories go (default {@code java.io.tmpdir/pgha-testkit}). */
        public Builder baseDirectory(Path directory) {
            this.baseDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * Makes every node serve TLS, and only TLS. At start-up the {@code openssl} command line
         * makes, in the cluster's directory (outside the data directories), a private test
         * authority and a server certificate it signs for {@code IP:127.0.0.1} and
         * {@code DNS:localhost} (EC P-256, valid for {@value TestCertificates#VALIDITY_DAYS}
         * days), which every node serves ({@code ssl = on}). {@code pg_hba.conf} then accepts
         * only {@code hostssl} connections, replication included, and rejects plaintext ones
         * ({@code hostnossl ... reject}). The standbys and {@code pg_rewind} connect with
         * {@code sslmode=verify-ca}, {@link LocalCluster#connect(Node)} with {@code verify-full};
         * clients trust {@link LocalCluster#rootCertificate()}.
         *
         * <p>{@link #start()} fails with an {@link IllegalStateException} if the
         * {@code openssl} command does not run.
         */
        public Builder tls() {
            this.tls = true;
            return this;
        }

        /** The openssl command for {@link #tls()}: for tests of the testkit. */
        Builder opensslCommand(String command) {
            this.openssl = Objects.requireNonNull(command, "command");
            return this;
        }

        /**
         * Creates and starts the cluster; returns once every standby streams.
         *
         * @throws IllegalStateException if {@link #tls()} was asked for and the {@code openssl}
         *     command does not run, or a server fails to start
         */
        public LocalCluster start() {
            if (synchronousStandbys > standbys) {
                throw new IllegalArgumentException("synchronousStandbys (" + synchronousStandbys
                        + ") exceeds standbys (" + standbys + ")");
            }
            if (tls) {
                // Before any directory exists or any binary is looked for.
                TestCertificates.requireOpenssl(openssl);
            }
            LocalCluster cluster = new LocalCluster(this);
            try {
                cluster.create();
                return cluster;
            } catch (RuntimeException | Error e) {
                cluster.close();
                throw e;
            }
        }

        private static String identifier(String what, String value) {
            if (value == null || !IDENTIFIER.matcher(value).matches()) {
                throw new IllegalArgumentException(what + " must be a lower-case SQL identifier, not '" + value + "'");
            }
            return value;
        }
    }

    /** Finds cluster directories whose JVM died without cleaning up, and cleans them. */
    private static final class StaleClusters {
        static final String OWNER_FILE = "owner.pid";

        static void reap(Path root) throws IOException {
            try (Stream<Path> dirs = Files.list(root)) {
                for (Path dir : (Iterable<Path>) dirs::iterator) {
                    if (Files.isDirectory(dir) && dir.getFileName().toString().startsWith("cluster-") && isStale(dir)) {
                        killServers(dir);
                        OsProcesses.deleteTree(dir);
                        log.info("Removed the stale test cluster {}", dir);
                    }
                }
            }
        }

        private static boolean isStale(Path dir) {
            try {
                long owner = Long.parseLong(Files.readString(dir.resolve(OWNER_FILE)).trim());
                return ProcessHandle.of(owner).map(h -> !h.isAlive()).orElse(true);
            } catch (NoSuchFileException e) {
                // Being created right now, or left by a JVM killed before it wrote the file.
                return ageMillis(dir) > 60_000;
            } catch (IOException | NumberFormatException e) {
                return false;
            }
        }

        private static long ageMillis(Path dir) {
            try {
                return System.currentTimeMillis() - Files.getLastModifiedTime(dir).toMillis();
            } catch (IOException e) {
                return 0;
            }
        }

        private static void killServers(Path dir) throws IOException {
            try (Stream<Path> nodeDirs = Files.list(dir)) {
                for (Path nodeDir : (Iterable<Path>) nodeDirs::iterator) {
                    Path pidFile = nodeDir.resolve("data").resolve("postmaster.pid");
                    if (Files.isRegularFile(pidFile)) {
                        long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
                        boolean isPostgres = ProcessHandle.of(pid).flatMap(h -> h.info().command())
                                .map(c -> c.endsWith("postgres")).orElse(false);
                        if (isPostgres) {
                            List<Long> tree = OsProcesses.tree(pid);
                            OsProcesses.signal("KILL", tree);
                            OsProcesses.awaitGone(tree, STOP_TIMEOUT);
                        }
                    }
                }
            }
        }
    }
}
