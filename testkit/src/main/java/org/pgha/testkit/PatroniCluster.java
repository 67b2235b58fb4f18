package org.pgha.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.pgha.testkit.internal.OsProcesses;
import org.pgha.testkit.internal.Ports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Patroni cluster on 127.0.0.1: one etcd server and Patroni members, each running its
 * own PostgreSQL server, configured by Patroni's own YAML files, with Patroni's REST API and
 * {@code patronictl}. Patroni elects the leader, promotes on a leader's loss and runs
 * switchovers; the test only kills, stops and asks, as an operator or a failure would.
 *
 * <pre>{@code
 * try (PatroniCluster cluster = PatroniCluster.builder().members(3).start()) {
 *     String url = "jdbc:pgha://" + cluster.hosts() + "/" + cluster.database();
 *     cluster.kill(cluster.leader());
 * }
 * }</pre>
 *
 * <p>Needs Debian's {@code patroni} and {@code etcd-server} packages (see {@link #isAvailable()})
 * and PostgreSQL's server binaries ({@link PgBinaries}). When the JVM runs as root the members
 * run as {@code postgres}, as {@link LocalCluster}'s servers do.
 */
public final class PatroniCluster implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PatroniCluster.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final String SCOPE = "pgha";
    static final String SUPERUSER = "postgres";
    static final String REPLICATION_USER = "replicator";

    /** One Patroni member: its name, its PostgreSQL port and its REST API port, on 127.0.0.1. */
    public record Member(String name, int port, int restPort, Path directory) {

        /** {@code 127.0.0.1:port}, as in a multi-host URL. */
        public String hostAndPort() {
            return "127.0.0.1:" + port;
        }

        /** The member's REST API, such as {@code http://127.0.0.1:8008}. */
        public String restUrl() {
            return "http://127.0.0.1:" + restPort;
        }

        Path configFile() {
            return directory.resolve("patroni.yml");
        }

        Path dataDirectory() {
            return directory.resolve("data");
        }

        @Override
        public String toString() {
            return name + "(" + hostAndPort() + ", REST " + restPort + ")";
        }
    }

    private final Builder config;
    private final Path directory;
    private final PgBinaries binaries;
    private final List<String> runAs;
    private final String password;
    private final int etcdPort;
    private final int etcdPeerPort;
    /** Every port handed out, so that two members never get the same one before they listen. */
    private final java.util.Set<Integer> usedPorts = new java.util.HashSet<>();
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final Map<String, Process> patronis = new LinkedHashMap<>();
    /** Each member's tags that are set to true ({@code noloadbalance}, {@code nofailover}, ...). */
    private final Map<String, java.util.Set<String>> tags = new java.util.HashMap<>();
    private Process etcd;
    private int nextMember = 1;
    private boolean closed;

    private PatroniCluster(Builder config) {
        this.config = config;
        this.binaries = config.binaries != null ? config.binaries : PgBinaries.resolve();
        this.runAs = OsProcesses.isRoot() ? OsProcesses.runAs(OsProcesses.serverUser()) : List.of();
        this.password = "pgha-" + Long.toHexString(Double.doubleToLongBits(Math.random()));
        try {
            Path root = Path.of(System.getProperty("java.io.tmpdir"), "pgha-testkit");
            Files.createDirectories(root);
            OsProcesses.makeDirectoryTraversable(root);
            this.directory = Files.createTempDirectory(root, "patroni-");
            OsProcesses.makeDirectoryTraversable(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the Patroni cluster's directory", e);
        }
        int[] ports = freePorts(2);
        this.etcdPort = ports[0];
        this.etcdPeerPort = ports[1];
    }

    /** Whether this machine can run a Patroni cluster: {@code patroni}, {@code patronictl}, {@code etcd} and {@code etcdctl} on the PATH. */
    public static boolean isAvailable() {
        return List.of("patroni", "patronictl", "etcd", "etcdctl").stream()
                .allMatch(c -> OsProcesses.outputOf(List.of("sh", "-c", "command -v " + c)).isPresent());
    }

    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------ start

    private PatroniCluster start() {
        try {
            startEtcd();
            List<Member> started = new ArrayList<>();
            for (int i = 0; i < config.members; i++) {
                started.add(launchMember());
            }
            awaitUntil("a leader that takes writes", START_TIMEOUT, () -> leaderNow().isPresent());
            Member leader = leaderNow().orElseThrow();
            execute(leader, "postgres", "CREATE DATABASE " + config.database);
            for (Member m : started) {
                if (!m.equals(leader)) {
                    awaitStreaming(m);
                }
            }
            // Patroni names the synchronous standby a loop after the replicas stream; a
            // switchover before that is refused.
            awaitSynchronousStandby();
            log.info("{}: started, leader {}", this, leader);
            return this;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void startEtcd() {
        Path data = directory.resolve("etcd");
        String client = "http://127.0.0.1:" + etcdPort;
        String peer = "http://127.0.0.1:" + etcdPeerPort;
        List<String> command = List.of("etcd", "--name", "pgha", "--data-dir", data.toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "pgha=" + peer, "--initial-cluster-state", "new",
                "--initial-cluster-token", directory.getFileName().toString());
        etcd = spawn(command, directory.resolve("etcd.log"), false);
        awaitUntil("etcd on port " + etcdPort, START_TIMEOUT, () -> {
            Optional<String> health = OsProcesses.outputOf(List.of("etcdctl", "--endpoints", client, "endpoint", "health"));
            return health.isPresent() && health.get().contains("is healthy");
        });
    }

    private synchronized Member launchMember() {
        int[] ports = freePorts(2);
        String name = "member" + nextMember++;
        Path dir = directory.resolve(name);
        try {
            Files.createDirectories(dir);
            Member member = new Member(name, ports[0], ports[1], dir);
            Files.writeString(member.configFile(), yaml(member), StandardCharsets.UTF_8);
            ownByServerUser(dir);
            members.put(name, member);
            startPatroni(member);
            return member;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the configuration of " + name, e);
        }
    }

    private void startPatroni(Member member) {
        List<String> command = new ArrayList<>(runAs);
        command.add("patroni");
        command.add(member.configFile().toString());
        patronis.put(member.name(), spawn(command, member.directory().resolve("patroni.log"), true));
    }

    /** Patroni's own configuration file for one member. */
    String yaml(Member member) {
        String bin = binaries.binDir().toString();
        return String.join("\n",
                "scope: " + SCOPE,
                "name: " + member.name(),
                "log:",
                "  level: INFO",
                "restapi:",
                "  listen: 127.0.0.1:" + member.restPort(),
                "  connect_address: 127.0.0.1:" + member.restPort(),
                "etcd3:",
                "  hosts: 127.0.0.1:" + etcdPort,
                "bootstrap:",
                "  dcs:",
                "    ttl: " + config.ttl,
                "    loop_wait: " + config.loopWait,
                "    retry_timeout: " + config.retryTimeout,
                "    maximum_lag_on_failover: 1048576",
                "    synchronous_mode: " + config.synchronousMode,
                "    synchronous_mode_strict: " + config.synchronousModeStrict,
                "    postgresql:",
                "      use_pg_rewind: true",
                "      use_slots: true",
                "      parameters:",
                "        wal_level: replica",
                "        hot_standby: 'on'",
                "        wal_log_hints: 'on'",
                "        max_connections: 60",
                "        max_wal_senders: 10",
                "        max_replication_slots: 10",
                "        wal_keep_size: 64MB",
                "        shared_buffers: 32MB",
                "        fsync: 'off'",
                "  initdb:",
                "    - encoding: UTF8",
                "    - data-checksums",
                "  pg_hba:",
                "    - host replication " + REPLICATION_USER + " 127.0.0.1/32 scram-sha-256",
                "    - host all all 127.0.0.1/32 scram-sha-256",
                "    - local all all trust",
                "postgresql:",
                "  listen: 127.0.0.1:" + member.port(),
                "  connect_address: 127.0.0.1:" + member.port(),
                "  data_dir: " + member.dataDirectory(),
                "  bin_dir: " + bin,
                "  pgpass: " + member.directory().resolve("pgpass"),
                "  basebackup:",
                "    - checkpoint: fast",
                "  authentication:",
                "    superuser:",
                "      username: " + SUPERUSER,
                "      password: " + password,
                "    replication:",
                "      username: " + REPLICATION_USER,
                "      password: " + password,
                "  parameters:",
                "    unix_socket_directories: " + member.directory(),
                "tags:",
                "  nofailover: " + tagged(member, "nofailover"),
                "  noloadbalance: " + tagged(member, "noloadbalance"),
                "  clonefrom: " + tagged(member, "clonefrom"),
                "  nosync: " + tagged(member, "nosync"),
                "");
    }

    private synchronized boolean tagged(Member member, String tag) {
        return tags.getOrDefault(member.name(), java.util.Set.of()).contains(tag);
    }

    // ------------------------------------------------------------------ faults and operations

    /**
     * Kills a member as a lost machine would: its Patroni and its PostgreSQL server, with
     * {@code SIGKILL}. Its leader lease, if it held it, runs out after {@code ttl}.
     */
    public synchronized void kill(Member member) {
        List<Long> pids = new ArrayList<>();
        Process patroni = patronis.remove(member.name());
        if (patroni != null) {
            pids.addAll(OsProcesses.tree(patroni.pid()));
        }
        postmasterPid(member).ifPresent(pid -> pids.addAll(OsProcesses.tree(pid)));
        OsProcesses.signal("KILL", pids);
        if (!OsProcesses.awaitGone(pids, Duration.ofSeconds(10))) {
            throw new IllegalStateException(member + " still runs after SIGKILL");
        }
        log.info("{}: killed {}", this, member);
    }

    /**
     * Stops a member as its operator would ({@code SIGTERM} to Patroni): Patroni stops its
     * server and, for a leader, releases the lease.
     */
    public synchronized void stop(Member member) {
        Process patroni = patronis.remove(member.name());
        if (patroni == null) {
            return;
        }
        patroni.destroy();
        try {
            if (!patroni.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException(member + " did not stop within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + member, e);
        }
        postmasterPid(member).ifPresent(pid -> OsProcesses.awaitGone(List.of(pid), Duration.ofSeconds(30)));
        log.info("{}: stopped {}", this, member);
    }

    /** Starts a member that was killed or stopped again: it rejoins as a replica (rewound if need be). */
    public synchronized void restart(Member member) {
        if (patronis.containsKey(member.name())) {
            throw new IllegalStateException(member + " is running");
        }
        startPatroni(member);
    }

    /** Adds a new member: Patroni clones it from the leader and starts it as a replica; returns once it streams. */
    public Member addMember() {
        Member member = launchMember();
        awaitStreaming(member);
        log.info("{}: added {}", this, member);
        return member;
    }

    /** Removes a member for good: stopped, and its key gone from the DCS. */
    public void removeMember(Member member) {
        stop(member);
        OsProcesses.outputOf(List.of("etcdctl", "--endpoints", "http://127.0.0.1:" + etcdPort, "del",
                "/service/" + SCOPE + "/members/" + member.name()));
        synchronized (this) {
            members.remove(member.name());
        }
        log.info("{}: removed {}", this, member);
    }

    /**
     * Sets one of Patroni's tags ({@code noloadbalance}, {@code nofailover}, {@code clonefrom},
     * {@code nosync}) in a member's configuration file and reloads it ({@code SIGHUP}); returns
     * once Patroni's {@code /cluster} shows the member with the tag as set.
     */
    public void tag(Member member, String tag, boolean on) {
        if (!List.of("nofailover", "noloadbalance", "clonefrom", "nosync").contains(tag)) {
            throw new IllegalArgumentException("not a tag the testkit writes: " + tag);
        }
        Process patroni;
        synchronized (this) {
            java.util.Set<String> set = tags.computeIfAbsent(member.name(), n -> new java.util.HashSet<>());
            if (on) {
                set.add(tag);
            } else {
                set.remove(tag);
            }
            try {
                Files.writeString(member.configFile(), yaml(member), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot rewrite the configuration of " + member, e);
            }
            patroni = patronis.get(member.name());
        }
        if (patroni == null) {
            return; // it reads the file when it starts
        }
        OsProcesses.signal("HUP", List.of(patroni.pid()));
        java.util.regex.Pattern shown = java.util.regex.Pattern.compile("\"name\": \""
                + java.util.regex.Pattern.quote(member.name()) + "\"[^}]*\"tags\": \\{[^}]*\"" + tag + "\": true");
        awaitUntil(member + " tagged " + tag + "=" + on, START_TIMEOUT,
                () -> shown.matcher(restGet(member, "/cluster")).find() == on);
    }

    /** A GET of a member's REST API: its body, or "" if it does not answer 200. */
    public String restGet(Member member, String path) {
        try {
            java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(member.restUrl() + path))
                            .timeout(Duration.ofSeconds(5)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body() : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** {@code patronictl switchover}: the leader hands over to {@code candidate}; returns once it is the leader. */
    public void switchover(Member candidate) {
        Member leader = leader();
        String output = patronictl("switchover", "--leader", leader.name(), "--candidate", candidate.name(), "--force");
        if (output.toLowerCase(java.util.Locale.ROOT).contains("failed")) {
            throw new IllegalStateException("patronictl switchover to " + candidate + " failed:\n" + output);
        }
        awaitUntil(candidate + " leads", START_TIMEOUT, () -> leaderNow().filter(candidate::equals).isPresent());
        awaitSynchronousStandby();
    }

    /**
     * With {@code synchronous_mode}, waits until the leader has a synchronous standby again:
     * until then Patroni would promote nobody but the one its DCS last named, perhaps the leader
     * itself, were the leader lost.
     */
    public void awaitSynchronousStandby() {
        if (config.synchronousMode && members().size() > 1) {
            awaitUntil("a synchronous standby", START_TIMEOUT, () -> synchronousStandby().isPresent());
        }
    }

    /** {@code patronictl pause --wait}: Patroni stops managing the cluster (no failover). */
    public void pause() {
        patronictl("pause", "--wait");
    }

    /** {@code patronictl resume --wait}. */
    public void resume() {
        patronictl("resume", "--wait");
    }

    /** Runs {@code patronictl -c <a member's configuration> args...}; returns its output. */
    public String patronictl(String... args) {
        Member any;
        synchronized (this) {
            any = members.values().stream().filter(m -> patronis.containsKey(m.name())).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no member runs"));
        }
        List<String> command = new ArrayList<>(List.of("patronictl", "-c", any.configFile().toString()));
        command.addAll(List.of(args));
        return OsProcesses.run(command, Duration.ofSeconds(120));
    }

    // ------------------------------------------------------------------ state

    /** The members, in the order they were added. */
    public synchronized List<Member> members() {
        return List.copyOf(members.values());
    }

    /** The member whose server takes writes now, waiting up to 90 s for one. */
    public Member leader() {
        awaitUntil("a leader that takes writes", START_TIMEOUT, () -> leaderNow().isPresent());
        return leaderNow().orElseThrow();
    }

    /**
     * The member the leader replicates to synchronously now ({@code sync_state = 'sync'} in
     * its {@code pg_stat_replication}, and Patroni's {@code Sync Standby}), if there is one
     * leader and one such standby.
     */
    public Optional<Member> synchronousStandby() {
        Optional<Member> leader = leaderNow();
        if (leader.isEmpty()) {
            return Optional.empty();
        }
        try (Connection c = connect(leader.get(), "postgres", 2); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT application_name FROM pg_stat_replication WHERE sync_state = 'sync'")) {
            List<String> names = new ArrayList<>();
            while (rs.next()) {
                names.add(rs.getString(1));
            }
            if (names.size() != 1) {
                return Optional.empty();
            }
            // Patroni's DCS must say so too: a switchover is checked against its sync key.
            String listed = patronictl("list", "-f", "json");
            boolean dcs = java.util.regex.Pattern.compile("\"Member\": \"" + java.util.regex.Pattern.quote(names.get(0))
                    + "\"[^}]*\"Role\": \"Sync Standby\"").matcher(listed).find();
            return dcs ? members().stream().filter(m -> m.name().equals(names.get(0))).findFirst() : Optional.empty();
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    /** The running member whose server is not in recovery, if exactly one is. */
    public Optional<Member> leaderNow() {
        List<Member> primaries = new ArrayList<>();
        for (Member m : members()) {
            try (Connection c = connect(m, "postgres", 2); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT NOT pg_is_in_recovery()")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    primaries.add(m);
                }
            } catch (SQLException e) {
                // down or starting
            }
        }
        return primaries.size() == 1 ? Optional.of(primaries.get(0)) : Optional.empty();
    }

    /** {@code 127.0.0.1:p1,127.0.0.1:p2,...}: every member, for a multi-host URL. */
    public String hosts() {
        return String.join(",", members().stream().map(Member::hostAndPort).toList());
    }

    /** Every member's REST API, comma-separated. */
    public String restUrls() {
        return String.join(",", members().stream().map(Member::restUrl).toList());
    }

    public String database() {
        return config.database;
    }

    /** The superuser the tests connect as (it can read {@code pg_stat_replication} in full). */
    public String user() {
        return SUPERUSER;
    }

    public String password() {
        return password;
    }

    /** A connection to one member's database. */
    public Connection connect(Member member) throws SQLException {
        return connect(member, config.database, 5);
    }

    private Connection connect(Member member, String database, int timeoutSeconds) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", SUPERUSER);
        p.setProperty("password", password);
        p.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        p.setProperty("socketTimeout", Integer.toString(timeoutSeconds * 2));
        p.setProperty("sslmode", "disable");
        return DriverManager.getConnection("jdbc:postgresql://" + member.hostAndPort() + "/" + database, p);
    }

    private void execute(Member member, String database, String sql) {
        try (Connection c = connect(member, database, 5); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " failed on " + member + ": " + e.getMessage(), e);
        }
    }

    /** Waits until the leader streams to {@code member} (its WAL receiver's name is the member's name). */
    private void awaitStreaming(Member member) {
        awaitUntil(member + " streaming from the leader", START_TIMEOUT, () -> leaderNow().map(l -> {
            try (Connection c = connect(l, "postgres", 2); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
                         + " AND application_name = '" + member.name() + "'")) {
                rs.next();
                return rs.getInt(1) == 1;
            } catch (SQLException e) {
                return false;
            }
        }).orElse(false));
    }

    /** The tail of a member's Patroni log, for failure messages. */
    public String logTail(Member member) {
        try {
            List<String> lines = Files.readAllLines(member.directory().resolve("patroni.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    // ------------------------------------------------------------------ plumbing

    private Optional<Long> postmasterPid(Member member) {
        try {
            List<String> lines = Files.readAllLines(member.dataDirectory().resolve("postmaster.pid"));
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private Process spawn(List<String> command, Path logFile, boolean asServerUser) {
        try {
            Files.deleteIfExists(logFile);
            Files.createFile(logFile);
            if (asServerUser) {
                ownByServerUser(logFile);
            }
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            pb.environment().put("PATH", binaries.binDir() + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    private void ownByServerUser(Path path) {
        if (!runAs.isEmpty()) {
            OsProcesses.chownTree(path, OsProcesses.serverUser());
        }
    }

    private void awaitUntil(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                StringBuilder logs = new StringBuilder();
                for (Member m : members()) {
                    logs.append("\n--- ").append(m).append(" ---\n").append(logTail(m));
                }
                throw new IllegalStateException(this + ": no " + what + " within " + timeout.toSeconds() + " s" + logs);
            }
            OsProcesses.sleep(Duration.ofMillis(100));
        }
    }

    private synchronized int[] freePorts(int count) {
        return Ports.free(count, usedPorts);
    }

    /** Kills every process and deletes the files. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Member m : List.copyOf(members.values())) {
            try {
                kill(m);
            } catch (RuntimeException e) {
                log.warn("{}: could not kill {}: {}", this, m, e.getMessage());
            }
        }
        if (etcd != null) {
            OsProcesses.signal("KILL", OsProcesses.tree(etcd.pid()));
            OsProcesses.awaitGone(List.of(etcd.pid()), Duration.ofSeconds(10));
        }
        if (Boolean.getBoolean("pgha.testkit.keep")) {
            log.info("{} closed; its files kept in {} (pgha.testkit.keep)", this, directory);
            return;
        }
        OsProcesses.deleteTree(directory);
        log.info("{} closed", this);
    }

    @Override
    public String toString() {
        return "PatroniCluster[" + directory.getFileName() + "]";
    }

    /** What to start: members, Patroni's timing and synchronous mode, the database. */
    public static final class Builder {
        private int members = 3;
        private int ttl = 20;
        private int loopWait = 1;
        private int retryTimeout = 3;
        private boolean synchronousMode = true;
        private boolean synchronousModeStrict;
        private String database = "pgha";
        private PgBinaries binaries;

        private Builder() {
        }

        /** How many members, 1 or more; 3 by default. */
        public Builder members(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("members must be at least 1, not " + count);
            }
            this.members = count;
            return this;
        }

        /**
         * Patroni's {@code ttl}, {@code loop_wait} and {@code retry_timeout} in seconds; by
         * default 20, 1 and 3, Patroni's documented minimums (with
         * {@code loop_wait + 2 * retry_timeout <= ttl}).
         */
        public Builder timing(int ttl, int loopWait, int retryTimeout) {
            if (ttl < 20 || loopWait < 1 || retryTimeout < 3 || loopWait + 2 * retryTimeout > ttl) {
                throw new IllegalArgumentException("Patroni needs ttl >= 20, loop_wait >= 1, retry_timeout >= 3 and"
                        + " loop_wait + 2 * retry_timeout <= ttl, not " + ttl + ", " + loopWait + ", " + retryTimeout);
            }
            this.ttl = ttl;
            this.loopWait = loopWait;
            this.retryTimeout = retryTimeout;
            return this;
        }

        /** Patroni's {@code synchronous_mode} (on by default) and {@code synchronous_mode_strict} (off). */
        public Builder synchronousMode(boolean on, boolean strict) {
            this.synchronousMode = on;
            this.synchronousModeStrict = strict;
            return this;
        }

        public Builder database(String name) {
            if (!name.matches("[a-z_][a-z0-9_]*")) {
                throw new IllegalArgumentException("database must be a plain lower-case identifier, not " + name);
            }
            this.database = name;
            return this;
        }

        public Builder binaries(PgBinaries binaries) {
            this.binaries = binaries;
            return this;
        }

        public PatroniCluster start() {
            return new PatroniCluster(this).start();
        }
    }
}
