package org.pgha.cli;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pgha.driver.ClusterStatus;
import org.pgha.driver.PghaProperty;
import org.pgha.driver.ReadFallback;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.topology.NodeRole;
import org.pgha.driver.topology.NodeState;

/**
 * {@code pgha doctor}: checks the setup an application with this URL runs on and names each
 * problem with its fix. What it checks, in order: the URL (TLS verification, the probe interval
 * against {@code maxReplicaLag}); the replicas' lag while it watches (a replica that never
 * qualifies under the bound serves no read); the members (down, another cluster, no primary);
 * on the primary, what an acknowledged commit survives ({@code synchronous_commit} as the
 * application's user gets it, a synchronous standby, {@code wal_level}); on every member, the
 * privileges the probes and the commit-outcome lookup need; and the clocks.
 */
final class Doctor {

    /** Functions the probe query calls, on every member, as the probe role. */
    static final List<String> PROBE_FUNCTIONS = List.of("pg_is_in_recovery()", "pg_last_wal_replay_lsn()",
            "pg_last_wal_receive_lsn()", "pg_current_wal_lsn()", "pg_current_wal_flush_lsn()",
            "pg_walfile_name(pg_lsn)", "pg_control_checkpoint()", "pg_control_system()",
            "pg_postmaster_start_time()");

    /** Functions a lost commit's lookup calls, as the application's user. */
    static final List<String> OUTCOME_FUNCTIONS = List.of("pg_current_xact_id_if_assigned()",
            "pg_current_wal_insert_lsn()", "pg_xact_status(xid8)", "pg_last_wal_replay_lsn()");

    /** Members' clocks further apart than this make {@code now()} jump at a failover. */
    static final long NODE_SKEW_MILLIS = 100;

    /** A member's clock further from this machine's than this. */
    static final long LOCAL_SKEW_MILLIS = 1000;

    private final ClusterSession session;
    private final Clock clock;

    Doctor(ClusterSession session, Clock clock) {
        this.session = session;
        this.clock = clock;
    }

    /** How long doctor watches the replicas by default: 5 s, or twice {@code maxReplicaLag} if longer. */
    static Duration defaultWatch(PghaConfig config) {
        Duration twice = config.duration(PghaProperty.MAX_REPLICA_LAG).multipliedBy(2);
        return twice.compareTo(Duration.ofSeconds(5)) > 0 ? twice : Duration.ofSeconds(5);
    }

    /** What doctor found. */
    record Result(List<Finding> findings, boolean reachable) {

        int exitCode() {
            if (!reachable) {
                return Pgha.UNREACHABLE;
            }
            if (findings.stream().anyMatch(f -> f.severity() == Finding.Severity.PROBLEM)) {
                return Pgha.PROBLEM;
            }
            return findings.isEmpty() ? Pgha.OK : Pgha.WARNING;
        }

        /** Prints the findings, problems first, and returns the exit code. */
        int print(PrintStream out, PghaConfig config, Duration watched) {
            out.print(text(config, watched));
            return exitCode();
        }

        String text(PghaConfig config, Duration watched) {
            StringBuilder s = new StringBuilder("cluster  ").append(config.clusterKey()).append(", replicas watched for ")
                    .append(PghaProperty.formatDuration(watched)).append("\n\n");
            long problems = findings.stream().filter(f -> f.severity() == Finding.Severity.PROBLEM).count();
            for (Finding.Severity severity : Finding.Severity.values()) {
                for (Finding f : findings) {
                    if (f.severity() == severity) {
                        s.append(String.format(Locale.ROOT, "%-8s %s%s%n", severity, f.check(),
                                f.node() == null ? "" : " on " + f.node()));
                        s.append("         ").append(f.problem()).append('\n');
                        s.append("         fix: ").append(f.fix()).append("\n\n");
                    }
                }
            }
            long warnings = findings.size() - problems;
            if (!reachable) {
                s.append("no member answered: nothing else could be checked\n");
            } else if (findings.isEmpty()) {
                s.append("no problem found\n");
            } else {
                s.append(problems).append(problems == 1 ? " problem, " : " problems, ").append(warnings)
                        .append(warnings == 1 ? " warning\n" : " warnings\n");
            }
            return s.toString();
        }
    }

    Result run(Duration watch) {
        List<Finding> findings = new ArrayList<>(configuration(session.config));
        Map<String, int[]> watched = watchReplicas(watch);
        ClusterSession.Snapshot snapshot = session.snapshot();
        ClusterStatus status = snapshot.status();
        findings.addAll(members(status));
        findings.addAll(replicas(watched, status, snapshot.reads(),
                session.config.choice(PghaProperty.READ_FALLBACK, ReadFallback.class)));
        if (snapshot.topology().writeTarget().isOk()) {
            findings.addAll(primary(snapshot.topology().writeTarget().node().host()));
        }
        // Every member, those the probes cannot reach included: a probe role that lacks a
        // privilege makes its members look down, and this is where that shows.
        boolean reached = status.nodes().stream().anyMatch(ClusterStatus.Node::up);
        Map<String, long[]> clocks = new LinkedHashMap<>();
        for (NodeState n : snapshot.topology().nodes()) {
            if (!n.refused() && member(n, findings, clocks)) {
                reached = true;
            }
        }
        findings.addAll(clocks(clocks));
        return new Result(findings, reached);
    }

    // ---- the URL ----

    /** What the URL alone says: TLS verification, and the probe interval against the bound. */
    static List<Finding> configuration(PghaConfig config) {
        List<Finding> findings = new ArrayList<>();
        java.util.Properties p = config.pgjdbcProperties();
        String sslmode = p.getProperty("sslmode");
        String ssl = p.getProperty("ssl");
        if (sslmode == null && ssl != null && !ssl.equalsIgnoreCase("false")) {
            sslmode = "verify-full"; // pgjdbc's meaning of ssl=true without an sslmode
        }
        String mode = sslmode == null ? "prefer" : sslmode.toLowerCase(Locale.ROOT);
        String fix = "sslmode=verify-full with sslrootcert naming the CA that signed the members' certificates"
                + " (each certificate naming the host as the URL gives it)";
        switch (mode) {
            case "verify-full" -> { }
            case "verify-ca" -> findings.add(Finding.warning("tls", null,
                    "sslmode=verify-ca checks the CA but not the host name: any certificate of that CA can pose as a member",
                    fix));
            case "require" -> findings.add(Finding.warning("tls", null,
                    "sslmode=require encrypts but checks no certificate: anyone on the path can pose as a member and"
                            + " read patient data and the password", fix));
            default -> findings.add(Finding.problem("tls", null,
                    "sslmode=" + mode + (sslmode == null ? " (pgjdbc's default)" : "")
                            + " lets connections fall back to plain text: patient data and passwords can travel unencrypted",
                    fix));
        }
        Duration interval = config.duration(PghaProperty.PROBE_INTERVAL);
        Duration bound = config.duration(PghaProperty.MAX_REPLICA_LAG);
        if (interval.multipliedBy(2).compareTo(bound) > 0) {
            findings.add(Finding.warning("probe-interval", null,
                    "probeInterval " + PghaProperty.formatDuration(interval) + " is more than half of maxReplicaLag "
                            + PghaProperty.formatDuration(bound) + ": a replica's bound counts the age of the primary's"
                            + " latest sample, up to probeInterval, so even a replica that is not behind qualifies"
                            + " only part of the time and reads fall back to the primary",
                    "probeInterval at most " + PghaProperty.formatDuration(bound.dividedBy(4).isZero()
                            ? Duration.ofMillis(1) : bound.dividedBy(4)) + ", or maxReplicaLag at least "
                            + PghaProperty.formatDuration(interval.multipliedBy(4))));
        }
        return findings;
    }

    // ---- the members ----

    /**
     * Samples every probeInterval, for {@code watch}, how often each replica that answered
     * served reads within the bound while there was a primary: host to {answering samples,
     * samples within the bound}.
     */
    private Map<String, int[]> watchReplicas(Duration watch) {
        Map<String, int[]> counts = new LinkedHashMap<>();
        long interval = Math.max(session.config.duration(PghaProperty.PROBE_INTERVAL).toNanos(), 10_000_000L);
        long end = System.nanoTime() + watch.toNanos();
        do {
            ClusterSession.Snapshot snapshot = session.snapshot();
            // Without a primary there is no lag to bound: that is the primary finding, not the replicas'.
            int members = snapshot.status().writes() == ClusterStatus.Writes.PRIMARY ? snapshot.status().nodes().size() : 0;
            for (int i = 0; i < members; i++) {
                ClusterStatus.Node n = snapshot.status().nodes().get(i);
                if (n.up() && !n.refused() && n.role() == ClusterStatus.Role.REPLICA) {
                    int[] c = counts.computeIfAbsent(n.host(), h -> new int[2]);
                    c[0]++;
                    if (snapshot.reads().get(i) == null) {
                        c[1]++;
                    }
                }
            }
            ClusterSession.sleep(interval);
        } while (System.nanoTime() < end);
        return counts;
    }

    /**
     * @param last the status after the watch
     * @param reads per member of {@code last}, why it serves no reads, null where it does
     */
    static List<Finding> replicas(Map<String, int[]> watched, ClusterStatus last, List<String> reads,
            ReadFallback fallback) {
        List<Finding> findings = new ArrayList<>();
        boolean anyReadable = false;
        for (Map.Entry<String, int[]> e : watched.entrySet()) {
            int[] c = e.getValue();
            if (c[1] > 0) {
                anyReadable = true;
                continue;
            }
            String why = null;
            for (int i = 0; i < last.nodes().size(); i++) {
                if (last.nodes().get(i).host().equals(e.getKey())) {
                    why = reads.get(i);
                }
            }
            findings.add(Finding.warning("replica-lag", e.getKey(),
                    "never served reads within maxReplicaLag while watched (" + c[0] + " samples)"
                            + (why == null ? "" : "; last: " + why),
                    "find why it falls behind (replay paused or conflicting, a slow disk, network), or raise"
                            + " maxReplicaLag if the application can read older data"));
        }
        if (!watched.isEmpty() && !anyReadable && fallback == ReadFallback.FAIL) {
            findings.add(Finding.problem("replica-lag", null,
                    "no replica served reads within maxReplicaLag while watched, and readFallback=fail:"
                            + " every read-only transaction fails",
                    "bring a replica within the bound, or readFallback=primary"));
        }
        return findings;
    }

    private static Finding down(ClusterStatus.Node n) {
        return Finding.warning("member-down", n.host(),
                "does not answer the probes" + (n.lastError() == null ? "" : ": " + n.lastError()),
                "start it, let the failover manager rebuild it, or take it out of the URL");
    }

    static List<Finding> members(ClusterStatus status) {
        List<Finding> findings = new ArrayList<>();
        for (ClusterStatus.Node n : status.nodes()) {
            if (n.refused()) {
                findings.add(Finding.problem("member-refused", n.host(),
                        "belongs to another cluster (another system_identifier): pgha never uses it",
                        "take it out of the URL, or point the URL at this cluster's member"));
            } else if (!n.up()) {
                findings.add(down(n));
            }
        }
        switch (status.writes()) {
            case PRIMARY -> { }
            case NO_PRIMARY -> findings.add(Finding.problem("primary", null,
                    "no member is up and primary: writes wait up to failoverTimeout, then fail",
                    "see the failover manager (patronictl list): is a promotion under way, is the primary in the URL?"));
            case SPLIT_BRAIN -> findings.add(Finding.problem("primary", null,
                    "two primaries on the highest timeline (split brain): pgha refuses writes",
                    "fence the primary the failover manager does not consider the leader"));
            case HISTORY_DIVERGED -> findings.add(Finding.problem("primary", null,
                    "the only primary lacks writes a newer primary took (history diverged): pgha refuses writes and reads",
                    "bring back the newer primary, or accept the history (docs/guarantees.md)"));
        }
        return findings;
    }

    // ---- the primary: what an acknowledged commit survives ----

    private List<Finding> primary(HostSpec primary) {
        List<Finding> findings = new ArrayList<>();
        String node = primary.toString();
        try (Connection c = session.connectAsApplication(primary)) {
            String walLevel = setting(c, "wal_level");
            if ("minimal".equals(walLevel)) {
                findings.add(Finding.problem("wal-level", node,
                        "wal_level is minimal: no standby can stream from it, so the primary's loss loses every commit",
                        "wal_level = replica (takes a restart), then build standbys"));
            }
            findings.addAll(synchronousCommit(c, node, session.config.user()));
            findings.addAll(synchronousStandby(c, node));
        } catch (SQLException e) {
            findings.add(connectFailure(node, session.config.user(), e));
        }
        return findings;
    }

    private static List<Finding> synchronousCommit(Connection c, String node, String user) throws SQLException {
        String value;
        String source;
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'")) {
            rs.next();
            value = rs.getString(1);
            source = rs.getString(2);
        }
        String fix = switch (source) {
            case "user" -> "ALTER ROLE " + user + " RESET synchronous_commit (the server's setting, on, applies then)";
            case "database user" -> "ALTER ROLE " + user + " IN DATABASE ... RESET synchronous_commit";
            case "database" -> "ALTER DATABASE ... RESET synchronous_commit";
            case "client" -> "take synchronous_commit out of the URL's options";
            default -> "synchronous_commit = on in postgresql.conf (with Patroni: postgresql.parameters)";
        };
        String where = " for " + user + " (set by " + source + ")";
        return switch (value) {
            case "on", "remote_apply" -> List.of();
            case "remote_write" -> List.of(Finding.warning("synchronous-commit", node,
                    "synchronous_commit is remote_write" + where + ": a commit is acknowledged once the synchronous"
                            + " standby has it in memory, before it is on its disk; losing both machines loses it", fix));
            default -> List.of(Finding.problem("synchronous-commit", node,
                    "synchronous_commit is " + value + where + ": a commit is acknowledged before any standby has it,"
                            + " so a failover can lose an acknowledged commit", fix));
        };
    }

    private static List<Finding> synchronousStandby(Connection c, String node) throws SQLException {
        String names = setting(c, "synchronous_standby_names");
        if (names == null || names.isBlank()) {
            return List.of(Finding.problem("synchronous-standby", node,
                    "synchronous_standby_names is empty: commits are acknowledged before any standby has them, so a"
                            + " failover can lose acknowledged commits",
                    "synchronous_mode: true (with synchronous_mode_strict: true) in Patroni's configuration, or"
                            + " synchronous_standby_names naming the standbys"));
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT count(*) FILTER (WHERE sync_state IN ('sync', 'quorum')), count(*) FILTER (WHERE sync_state IS NULL)"
                        + " FROM pg_stat_replication")) {
            rs.next();
            long synchronous = rs.getLong(1);
            long hidden = rs.getLong(2);
            if (synchronous > 0) {
                return List.of();
            }
            if (hidden > 0) {
                return List.of(Finding.warning("synchronous-standby", node,
                        "cannot see which standby is synchronous: pg_stat_replication hides sync_state from this role",
                        "run doctor as a role with pg_read_all_stats, or check pg_stat_replication on the primary"));
            }
            return List.of(Finding.problem("synchronous-standby", node,
                    "synchronous_standby_names is '" + names + "' but no standby is synchronous now: every commit waits"
                            + " for one, so writes hang",
                    "start or re-point the standby it names, or let the failover manager (synchronous_mode) choose one"));
        }
    }

    // ---- every member: privileges ----

    /**
     * On one member: the privileges the probes and the commit-outcome lookup need, and its clock
     * (into {@code clocks}), over one connection as the probe role.
     *
     * @return whether doctor could connect as the probe role; a member the probes do not reach
     *     is already reported, so failing to connect to it adds nothing
     */
    private boolean member(NodeState member, List<Finding> findings, Map<String, long[]> clocks) {
        String node = member.host().toString();
        String monitor = session.monitorRole();
        String user = session.config.user();
        try (Connection c = session.connectAsMonitor(member.host())) {
            List<String> missing = missing(c, PROBE_FUNCTIONS);
            if (!missing.isEmpty()) {
                findings.add(Finding.problem("probe-grants", node,
                        "the probe role " + monitor + " cannot execute " + String.join(", ", missing)
                                + ": its probes fail, so pgha takes the member for down",
                        grants(missing, monitor)));
            }
            if (member.up() && member.role() == NodeRole.PRIMARY && !hasRole(c, "pg_read_all_stats")) {
                findings.add(Finding.warning("probe-grants", node,
                        "the probe role " + monitor + " lacks pg_read_all_stats: pgha cannot see which standby is"
                                + " synchronous, so replica reads stop soon after the primary is lost (until a new one),"
                                + " and a re-pointed standby's timeline shows later",
                        "GRANT pg_read_all_stats TO " + monitor + " (it can read every session's query text: grant it to"
                                + " a monitoring role of its own, monitorUser, not to the application's user)"));
            }
            if (monitor.equals(user)) {
                findings.addAll(outcomeGrants(c, node));
            }
            clocks.put(node, clockSample(c));
        } catch (SQLException e) {
            if (member.up()) {
                findings.add(connectFailure(node, monitor, e));
            }
            return false;
        }
        if (!monitor.equals(user)) {
            try (Connection c = session.connectAsApplication(member.host())) {
                findings.addAll(outcomeGrants(c, node));
            } catch (SQLException e) {
                findings.add(connectFailure(node, user, e));
            }
        }
        return true;
    }

    private List<Finding> outcomeGrants(Connection c, String node) throws SQLException {
        List<String> missing = missing(c, OUTCOME_FUNCTIONS);
        if (missing.isEmpty()) {
            return List.of();
        }
        String user = session.config.user();
        return List.of(Finding.problem("outcome-grants", node,
                "the application's user " + user + " cannot execute " + String.join(", ", missing)
                        + ": a commit whose answer is lost in a failover cannot be looked up, and ends in"
                        + " OutcomeUnknownException instead of committed once",
                grants(missing, user)));
    }

    private static String grants(List<String> functions, String role) {
        StringBuilder s = new StringBuilder();
        for (String f : functions) {
            s.append(s.length() == 0 ? "" : "; ").append("GRANT EXECUTE ON FUNCTION ").append(f).append(" TO ").append(role);
        }
        return s.toString();
    }

    private static List<String> missing(Connection c, List<String> functions) throws SQLException {
        List<String> missing = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT f FROM unnest(?::text[]) AS f WHERE NOT has_function_privilege(f, 'EXECUTE')")) {
            ps.setArray(1, c.createArrayOf("text", functions.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    missing.add(rs.getString(1));
                }
            }
        }
        return missing;
    }

    private static boolean hasRole(Connection c, String role) throws SQLException {
        return Boolean.parseBoolean(single(c, "SELECT pg_has_role(current_user, ?, 'USAGE')::text", role));
    }

    private static Finding connectFailure(String node, String role, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        boolean rejected = state.startsWith("28") || state.equals("3D000") || state.equals("42501");
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        return rejected
                ? Finding.problem("login", node, role + " cannot log in: " + message + " (SQLState " + state + ")",
                        "check the password, CONNECT on the database and pg_hba.conf on every member")
                : Finding.warning("unchecked", node, "could not check as " + role + ": " + message,
                        "run doctor again; if it persists, check the member's log");
    }

    private static String setting(Connection c, String name) throws SQLException {
        return single(c, "SELECT current_setting(?)", name);
    }

    /** The one value a query with one text parameter answers. */
    private static String single(Connection c, String sql, String parameter) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, parameter);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    // ---- clocks ----

    /**
     * A member's clock against this machine's: {offset in ms (member minus here), uncertainty
     * in ms}, from the fastest of three round trips.
     */
    private long[] clockSample(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint")) {
            long[] best = null;
            for (int i = 0; i < 3; i++) {
                long before = clock.millis();
                long server;
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    server = rs.getLong(1);
                }
                long after = clock.millis();
                long half = (after - before + 1) / 2;
                if (best == null || half < best[1]) {
                    best = new long[] {server - (before + after) / 2, half};
                }
            }
            return best;
        }
    }

    /**
     * Clock findings from {@link #clockSample}s: members more than {@value #NODE_SKEW_MILLIS} ms
     * apart (beyond what the round trips leave uncertain), and members more than
     * {@value #LOCAL_SKEW_MILLIS} ms from this machine.
     */
    static List<Finding> clocks(Map<String, long[]> samples) {
        List<Finding> findings = new ArrayList<>();
        for (Map.Entry<String, long[]> e : samples.entrySet()) {
            long offset = e.getValue()[0];
            long uncertainty = e.getValue()[1];
            if (Math.abs(offset) - uncertainty > LOCAL_SKEW_MILLIS) {
                findings.add(Finding.warning("clock", e.getKey(),
                        "its clock is " + Math.abs(offset) + " ms " + (offset > 0 ? "ahead of" : "behind")
                                + " this machine's: times the application takes (Java's clock) and the database's"
                                + " now() disagree, and certificates may seem not yet valid or expired",
                        "synchronize both with NTP (chrony)"));
            }
        }
        String early = null;
        String late = null;
        for (Map.Entry<String, long[]> e : samples.entrySet()) {
            if (early == null || e.getValue()[0] < samples.get(early)[0]) {
                early = e.getKey();
            }
            if (late == null || e.getValue()[0] > samples.get(late)[0]) {
                late = e.getKey();
            }
        }
        if (early != null && !early.equals(late)) {
            long spread = samples.get(late)[0] - samples.get(early)[0];
            long uncertainty = samples.get(late)[1] + samples.get(early)[1];
            if (spread - uncertainty > NODE_SKEW_MILLIS) {
                findings.add(Finding.warning("clock", null,
                        "the members' clocks are " + spread + " ms apart (" + late + " ahead of " + early + "): after a"
                                + " failover now() can go backwards, and records written later can carry earlier times",
                        "synchronize every member with NTP (chrony)"));
            }
        }
        return findings;
    }
}
