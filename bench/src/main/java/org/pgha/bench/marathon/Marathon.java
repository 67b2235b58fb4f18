package org.pgha.bench.marathon;

import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.pgha.pool.PghaPoolDataSource;
import org.pgha.testkit.FaultProxy;
import org.pgha.testkit.Ledger;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.Node;

/**
 * The chaos marathon: one long run on a local cluster (a primary, a synchronous and an
 * asynchronous standby) with a mixed application workload, through many faults drawn from a
 * seeded random schedule, each followed by what a failover manager does and the failed node
 * rejoining as a standby. After every fault the load is paused and checked: writes lost or
 * doubled (the ledger), reads staler than {@code maxReplicaLag} or missing their own writes (the
 * staleness checker), exceptions outside the documented ones, threads stuck, and what the
 * process and the servers hold. It exits with 1 if anything is wrong. See docs/benchmarks.md.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar org.pgha.bench.marathon.Marathon [--faults 20] [--seed N]
 *     [--soak 30m [--fault-every 1m]] [--kinds crash,hang,...] [--max-replica-lag 1s]
 *     [--pgha name=value]... [--setting name=value]...
 * </pre>
 */
public final class Marathon {

    /** Per node: the pool's connections, HikariCP's in driver mode, two monitors, and room for a probe in flight. */
    static final int POOL_SIZE = 8;
    static final int SERVER_CONNECTION_LIMIT = POOL_SIZE + POOL_SIZE + 2 + 2;
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration PAUSE_TIMEOUT = Duration.ofSeconds(60);

    /**
     * How a run goes.
     *
     * @param seed the seed of the schedule; the same seed injects the same faults
     * @param faults how many faults (ignored with {@code soak})
     * @param soak run this long with a fault every {@code faultEvery}, sampling the process; null for none
     * @param faultEvery the time from one fault to the next in a soak
     * @param kinds the faults to draw from
     * @param maxReplicaLag pgha's bound, and the staleness checker's
     * @param pgha more pgha URL parameters, for both DataSources
     * @param settings PostgreSQL settings of every node
     * @param threadsPerOperation application threads per operation
     * @param steady load before each fault (outside a soak)
     * @param settle load after the cluster is whole again, before the round is checked
     */
    public record Options(long seed, int faults, Duration soak, Duration faultEvery, List<FaultKind> kinds,
            Duration maxReplicaLag, Map<String, String> pgha, Map<String, String> settings, int threadsPerOperation,
            Duration steady, Duration settle) {

        /** 20 faults of every kind, a random seed, {@code maxReplicaLag=1s}. */
        public static Options defaults() {
            return new Options(ThreadLocalRandom.current().nextLong(), 20, null, Duration.ofMinutes(1),
                    List.of(FaultKind.values()), Duration.ofSeconds(1), Map.of(), Map.of(), 2, Duration.ofSeconds(2),
                    Duration.ofMillis(1_500));
        }

        public Options withSeed(long seed) {
            return new Options(seed, faults, soak, faultEvery, kinds, maxReplicaLag, pgha, settings, threadsPerOperation,
                    steady, settle);
        }

        public Options withFaults(int faults) {
            return new Options(seed, faults, soak, faultEvery, kinds, maxReplicaLag, pgha, settings, threadsPerOperation,
                    steady, settle);
        }

        public Options withSoak(Duration soak, Duration faultEvery) {
            return new Options(seed, faults, soak, faultEvery, kinds, maxReplicaLag, pgha, settings, threadsPerOperation,
                    steady, settle);
        }

        public Options withKinds(List<FaultKind> kinds) {
            return new Options(seed, faults, soak, faultEvery, List.copyOf(kinds), maxReplicaLag, pgha, settings,
                    threadsPerOperation, steady, settle);
        }

        Options with(Duration maxReplicaLag, Map<String, String> pgha, Map<String, String> settings) {
            return new Options(seed, faults, soak, faultEvery, kinds, maxReplicaLag, Map.copyOf(pgha), Map.copyOf(settings),
                    threadsPerOperation, steady, settle);
        }

        int faultCount() {
            return soak == null ? faults : (int) Math.max(1, soak.toMillis() / faultEvery.toMillis());
        }
    }

    /**
     * The outcome of a run.
     *
     * @param seed the schedule's seed
     * @param rounds one report per fault injected
     * @param samples the process after each round
     * @param problems everything wrong, rounds' problems included; empty if the run is clean
     */
    public record Result(long seed, List<RoundReport> rounds, List<Sample> samples, List<String> problems) {

        public boolean clean() {
            return problems.isEmpty();
        }

        public int faults() {
            return rounds.size();
        }

        /** A markdown table of the rounds and their totals, for docs/benchmarks.md. */
        public String table() {
            return RoundReport.tableHeader() + "\n" + rounds.stream().map(RoundReport::tableRow)
                    .collect(Collectors.joining("\n")) + (rounds.isEmpty() ? "" : "\n" + RoundReport.totalRow(rounds));
        }

        /** One line: what the whole run did and found. */
        public String totals() {
            long acknowledged = rounds.stream().mapToLong(r -> r.ledger().acknowledged()).sum();
            long reads = rounds.stream().mapToLong(r -> r.staleness().readsChecked()).sum();
            return String.format("%d faults, %d acknowledged writes, %d reads checked", rounds.size(), acknowledged, reads);
        }
    }

    private Marathon() {
    }

    public static void main(String[] args) throws Exception {
        // The report says what happened; pgha's and HikariCP's INFO lines would drown it.
        // -Dorg.slf4j.simpleLogger.defaultLogLevel=info brings them back.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        System.setProperty("org.slf4j.simpleLogger.log.com.zaxxer.hikari.pool.ProxyConnection",
                System.getProperty("org.slf4j.simpleLogger.log.com.zaxxer.hikari.pool.ProxyConnection", "error"));
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("marathon: " + e.getMessage());
            System.err.println("usage: Marathon [--faults N] [--seed N] [--soak 30m] [--fault-every 1m] [--kinds a,b]"
                    + " [--max-replica-lag 1s] [--pgha name=value]... [--setting name=value]...");
            System.err.println("faults:");
            for (FaultKind kind : FaultKind.values()) {
                System.err.printf("  %-17s %s%n", kind.label(), kind.description());
            }
            System.exit(2);
            return;
        }
        Result result = run(options, System.out);
        System.exit(result.clean() ? 0 : 1);
    }

    static Options parse(String[] args) {
        Options o = Options.defaults();
        Duration lag = o.maxReplicaLag();
        Map<String, String> pgha = new LinkedHashMap<>();
        Map<String, String> settings = new LinkedHashMap<>();
        Duration soak = null;
        Duration every = o.faultEvery();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (i + 1 == args.length) {
                throw new IllegalArgumentException(arg + " needs a value");
            }
            String value = args[++i];
            switch (arg) {
                case "--faults" -> o = o.withFaults((int) number(arg, value));
                case "--seed" -> o = o.withSeed(number(arg, value));
                case "--soak" -> soak = duration(value);
                case "--fault-every" -> every = duration(value);
                case "--kinds" -> o = o.withKinds(Arrays.stream(value.split(",")).map(FaultKind::parse).toList());
                case "--max-replica-lag" -> lag = duration(value);
                case "--pgha" -> put(pgha, value, arg);
                case "--setting" -> put(settings, value, arg);
                default -> throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
        if (o.faults() < 1) {
            throw new IllegalArgumentException("--faults must be at least 1");
        }
        if (pgha.containsKey("maxReplicaLag")) {
            throw new IllegalArgumentException("give maxReplicaLag with --max-replica-lag: the checker needs it too");
        }
        if (soak != null) {
            o = o.withSoak(soak, every);
        }
        return o.with(lag, pgha, settings);
    }

    private static long number(String arg, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(arg + " needs a whole number, not " + value);
        }
    }

    private static void put(Map<String, String> map, String value, String arg) {
        int eq = value.indexOf('=');
        if (eq < 1) {
            throw new IllegalArgumentException(arg + " needs name=value, not " + value);
        }
        map.put(value.substring(0, eq), value.substring(eq + 1));
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

    static Duration duration(String text) {
        Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration (such as 500ms, 90s, 30m, 1h): " + text);
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    /** Runs a marathon and prints its reports to {@code out}. */
    public static Result run(Options options, PrintStream out) throws Exception {
        List<PlannedFault> schedule = PlannedFault.schedule(options.seed(), options.faultCount(), options.kinds());
        out.printf("marathon: seed %d (repeat with --seed %d), %d faults%s: %s%n", options.seed(), options.seed(),
                schedule.size(), options.soak() == null ? "" : ", soak of " + options.soak() + " with a fault every "
                        + options.faultEvery(),
                schedule.stream().map(f -> f.kind().label()).collect(Collectors.joining(", ")));
        List<RoundReport> rounds = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        LocalCluster.Builder builder = LocalCluster.builder().standbys(2).synchronousStandbys(1);
        options.settings().forEach(builder::setting);
        Set<String> threadsBefore = threadNames();
        try (LocalCluster cluster = builder.start()) {
            Map<Node, FaultProxy> proxies = new LinkedHashMap<>();
            Map<Integer, String> nodeByPort = new LinkedHashMap<>();
            try {
                for (Node node : cluster.nodes()) {
                    FaultProxy proxy = FaultProxy.start(node.host(), node.port());
                    proxies.put(node, proxy);
                    nodeByPort.put(proxy.port(), node.name());
                }
                String url = "jdbc:pgha://" + proxies.values().stream().map(p -> p.host() + ":" + p.port())
                        .collect(Collectors.joining(",")) + "/" + cluster.database() + "?maxReplicaLag="
                        + options.maxReplicaLag().toMillis() + "ms" + options.pgha().entrySet().stream()
                        .map(e -> "&" + e.getKey() + "=" + e.getValue()).collect(Collectors.joining());
                try (PghaPoolDataSource pool = pool(cluster, url, options); HikariDataSource driver = driver(cluster, url);
                     MarathonLoad load = new MarathonLoad(pool, driver, nodeByPort, options.maxReplicaLag(),
                             options.threadsPerOperation(), Duration.ofMillis(10))) {
                    try (Connection c = cluster.connect(cluster.primary())) {
                        load.createTables(c);
                    }
                    load.start();
                    marathon(options, schedule, cluster, proxies, load, rounds, samples, problems, out);
                    List<String> stuck = load.stop(PAUSE_TIMEOUT);
                    if (!stuck.isEmpty()) {
                        problems.add("application threads stuck at the end: " + stuck);
                    }
                }
            } finally {
                proxies.values().forEach(FaultProxy::close);
            }
        }
        rounds.forEach(r -> r.problems().forEach(p -> problems.add("fault " + r.fault().number() + " "
                + r.fault().kind().label() + ": " + p)));
        if (options.soak() != null) {
            problems.addAll(Growth.check(samples));
        }
        Set<String> leftover = threadNames();
        leftover.removeAll(threadsBefore);
        leftover.removeIf(name -> !name.startsWith("pgha-") && !name.startsWith("marathon-"));
        Result result = new Result(options.seed(), List.copyOf(rounds), List.copyOf(samples), List.copyOf(problems));
        out.println();
        out.println(result.table());
        out.println();
        out.printf("marathon: seed %d, %s%nmarathon: threads of pgha or the marathon left after close: %s%n",
                options.seed(), result.totals(), leftover.isEmpty() ? "none" : leftover);
        if (result.clean()) {
            out.println("marathon: CLEAN");
        } else {
            out.println("marathon: FAILED (repeat with --seed " + options.seed() + ")");
            problems.forEach(p -> out.println("  " + p));
        }
        return result;
    }

    private static void marathon(Options options, List<PlannedFault> schedule, LocalCluster cluster,
            Map<Node, FaultProxy> proxies, MarathonLoad load, List<RoundReport> rounds, List<Sample> samples,
            List<String> problems, PrintStream out) throws Exception {
        long started = System.nanoTime();
        MarathonLoad.Round[] current = new MarathonLoad.Round[1];
        Chaos chaos = new Chaos(cluster, proxies, options.maxReplicaLag(), node -> fencedWrites(cluster, node, current[0]));
        for (PlannedFault fault : schedule) {
            Ledger ledger = new Ledger("marathon_ledger_" + fault.number());
            try (Connection c = cluster.connect(cluster.primary())) {
                ledger.createTable(c);
            }
            MarathonLoad.Round round = new MarathonLoad.Round(ledger);
            current[0] = round;
            load.resume(round);
            long steadyMillis = options.steady().toMillis();
            if (options.soak() != null) {
                long faultAt = started + (fault.number() - 1) * options.faultEvery().toNanos() + options.steady().toNanos();
                steadyMillis = Math.max(options.steady().toMillis(), (faultAt - System.nanoTime()) / 1_000_000);
            }
            Thread.sleep(steadyMillis);
            Chaos.Injected injected;
            List<String> roundProblems = new ArrayList<>();
            try {
                injected = chaos.inject(fault);
            } catch (RuntimeException e) {
                problems.add("fault " + fault.number() + " " + fault.kind().label() + ": the cluster could not be"
                        + " brought back (" + e + "); the run stops here");
                load.pause(PAUSE_TIMEOUT);
                return;
            }
            if (!awaitProgress(round, injected.endedAt())) {
                roundProblems.add("no write and read succeeded within " + RECOVERY_TIMEOUT.toSeconds()
                        + " s of the cluster being whole again");
            }
            Thread.sleep(options.settle().toMillis());
            long endedAt = System.nanoTime();
            List<String> stuck = load.pause(PAUSE_TIMEOUT);
            if (!stuck.isEmpty()) {
                problems.add("fault " + fault.number() + " " + fault.kind().label() + ": application threads stuck for "
                        + PAUSE_TIMEOUT.toSeconds() + " s after the cluster was whole again: " + stuck);
                return;
            }
            MarathonLoad.Verification verification;
            try (Connection c = cluster.connect(cluster.primary())) {
                verification = load.verify(round, c);
                try (Statement st = c.createStatement()) {
                    st.execute("DROP TABLE " + ledger.table());
                }
            }
            Sample sample = Sample.take(cluster);
            samples.add(sample);
            RoundReport report = RoundReport.of(fault, injected, round, verification, sample, endedAt, roundProblems,
                    SERVER_CONNECTION_LIMIT);
            rounds.add(report);
            out.print(report.text());
            out.flush();
        }
    }

    /** Waits for an acknowledged write and a successful read after {@code since}. */
    private static boolean awaitProgress(MarathonLoad.Round round, long since) throws InterruptedException {
        long deadline = System.nanoTime() + RECOVERY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (round.writes.stream().anyMatch(t -> t > since) && round.reads.stream().anyMatch(t -> t > since)) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    /** The ledger rows an old primary holds that the current primary lacks, and how many of them were acknowledged. */
    private static Chaos.FencedWrites fencedWrites(LocalCluster cluster, Node fenced, MarathonLoad.Round round) {
        String sql = "SELECT id FROM " + round.ledger.table();
        try (Connection old = cluster.connect(fenced); Connection current = cluster.connect(cluster.primary())) {
            Set<Long> there = ids(old, sql);
            there.removeAll(ids(current, sql));
            long acknowledged = there.stream().filter(round.acknowledged::contains).count();
            return new Chaos.FencedWrites(fenced.name(), there.size(), acknowledged);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot compare the fenced primary " + fenced + " with the primary", e);
        }
    }

    private static Set<Long> ids(Connection c, String sql) throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    private static PghaPoolDataSource pool(LocalCluster cluster, String url, Options options) {
        PghaPoolDataSource pool = new PghaPoolDataSource();
        pool.setJdbcUrl(options.pgha().containsKey("exactlyOnceAutocommit") ? url : url + "&exactlyOnceAutocommit=true");
        pool.setUsername(cluster.user());
        pool.setPassword(cluster.password());
        pool.setMaximumPoolSize(POOL_SIZE);
        pool.setPoolName("marathon-pool");
        return pool;
    }

    private static HikariDataSource driver(LocalCluster cluster, String url) {
        HikariDataSource hikari = new HikariDataSource();
        hikari.setJdbcUrl(url);
        hikari.setUsername(cluster.user());
        hikari.setPassword(cluster.password());
        hikari.setMaximumPoolSize(POOL_SIZE);
        hikari.setPoolName("marathon-driver");
        return hikari;
    }

    private static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .collect(Collectors.toCollection(HashSet::new));
    }
}
