package org.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.pgha.driver.ClusterStatus;
import org.pgha.driver.ReadFallback;
import org.pgha.driver.config.PghaConfig;

/** The command line without a database: arguments, the URL's checks, the clock rule, exit codes, the status table. */
class PghaCommandTest {

    record Run(int exit, String out, String err) {
    }

    static Run run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Pgha.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env, Clock.systemUTC());
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void wrongArgumentsExitWithUsageNamingTheProblem() {
        assertThat(run(Map.of())).satisfies(r -> {
            assertThat(r.exit()).isEqualTo(Pgha.USAGE);
            assertThat(r.err()).contains("a command and a URL are needed", "usage: pgha status URL");
        });
        assertThat(run(Map.of(), "status").err()).contains("a URL is needed");
        assertThat(run(Map.of(), "list", "jdbc:pgha://h/db").err()).contains("unknown command 'list'");
        assertThat(run(Map.of(), "status", "jdbc:pgha://h/db", "--watch", "1s").err())
                .contains("--watch is an option of doctor");
        assertThat(run(Map.of(), "doctor", "jdbc:pgha://h/db", "--watch", "soon").err())
                .contains("--watch 'soon' is not a duration");
        assertThat(run(Map.of(), "doctor", "jdbc:pgha://h/db", "--watch", "0s").exit()).isEqualTo(Pgha.USAGE);
        assertThat(run(Map.of(), "doctor", "jdbc:pgha://h/db", "--user").err()).contains("--user needs a value");
        assertThat(run(Map.of(), "doctor", "jdbc:pgha://h/db", "--verbose", "x").err()).contains("unknown option '--verbose'");
        assertThat(run(Map.of(), "status", "jdbc:postgresql://h/db", "--user", "u").err())
                .contains("not a jdbc:pgha:// URL");
        assertThat(run(Map.of(), "status", "jdbc:pgha://h/db").err()).contains("no user");
        Run misspelt = run(Map.of("PGUSER", "u"), "status", "jdbc:pgha://h/db?sslMode=verify-full");
        assertThat(misspelt.exit()).isEqualTo(Pgha.USAGE);
        assertThat(misspelt.err()).contains("sslMode");
        assertThat(run(Map.of(), "--help")).satisfies(r -> {
            assertThat(r.exit()).isEqualTo(Pgha.OK);
            assertThat(r.out()).contains("exit: 0 nothing to report");
        });
    }

    @Test
    void durationsAreReadInPghasSyntax() {
        assertThat(Pgha.duration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Pgha.duration("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Pgha.duration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Pgha.duration("10")).isNull();
        assertThat(Pgha.duration("-1s")).isNull();
        assertThat(Pgha.duration("0ms")).isNull();
    }

    @Test
    void membersThatDoNotAnswerExitWithUnreachable() throws Exception {
        int port1 = freePort();
        int port2 = freePort();
        String url = "jdbc:pgha://127.0.0.1:" + port1 + ",127.0.0.1:" + port2 + "/db?probeInterval=50ms&probeTimeout=1s";
        Run status = run(Map.of("PGUSER", "u", "PGPASSWORD", "p"), "status", url);
        assertThat(status.exit()).as(status.out()).isEqualTo(Pgha.UNREACHABLE);
        assertThat(status.out()).contains("127.0.0.1:" + port1, "down", "writes   none");
        Run doctor = run(Map.of("PGUSER", "u", "PGPASSWORD", "p"), "doctor", url, "--watch", "100ms");
        assertThat(doctor.exit()).as(doctor.out()).isEqualTo(Pgha.UNREACHABLE);
        assertThat(doctor.out()).contains("member-down on 127.0.0.1:" + port2, "no member answered");
        assertThat(doctor.out() + doctor.err()).doesNotContain("PGPASSWORD", "password=p");
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static PghaConfig config(String query) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "ehr_app");
        return PghaConfig.parse("jdbc:pgha://db1,db2/ehr" + query, p);
    }

    private static List<String> checks(List<Finding> findings) {
        return findings.stream().map(f -> f.severity() + " " + f.check()).toList();
    }

    @Test
    void tlsBelowVerifyFullIsNamed() throws Exception {
        assertThat(checks(Doctor.configuration(config("")))).containsExactly("PROBLEM tls");
        assertThat(Doctor.configuration(config("")).get(0).problem()).contains("sslmode=prefer (pgjdbc's default)");
        assertThat(checks(Doctor.configuration(config("?sslmode=disable")))).containsExactly("PROBLEM tls");
        assertThat(checks(Doctor.configuration(config("?sslmode=allow")))).containsExactly("PROBLEM tls");
        assertThat(checks(Doctor.configuration(config("?sslmode=require")))).containsExactly("WARNING tls");
        assertThat(checks(Doctor.configuration(config("?sslmode=verify-ca")))).containsExactly("WARNING tls");
        assertThat(Doctor.configuration(config("?sslmode=verify-full"))).isEmpty();
        assertThat(Doctor.configuration(config("?ssl=true"))).as("pgjdbc: ssl=true means verify-full").isEmpty();
    }

    @Test
    void aProbeIntervalTooCloseToTheBoundIsNamed() throws Exception {
        List<Finding> close = Doctor.configuration(config("?sslmode=verify-full&probeInterval=600ms&maxReplicaLag=1s"));
        assertThat(checks(close)).containsExactly("WARNING probe-interval");
        assertThat(close.get(0).problem()).contains("probeInterval 600ms", "maxReplicaLag 1s");
        assertThat(close.get(0).fix()).contains("probeInterval at most 250ms", "maxReplicaLag at least 2400ms");
        assertThat(Doctor.configuration(config("?sslmode=verify-full&probeInterval=500ms&maxReplicaLag=1s"))).isEmpty();
        assertThat(Doctor.configuration(config("?sslmode=verify-full"))).as("the defaults: 500ms and 2s").isEmpty();
    }

    @Test
    void clocksApartBeyondTheirUncertaintyAreNamed() {
        Map<String, long[]> fine = new LinkedHashMap<>();
        fine.put("a:1", new long[] {3, 1});
        fine.put("b:1", new long[] {-40, 2});
        assertThat(Doctor.clocks(fine)).isEmpty();

        Map<String, long[]> apart = new LinkedHashMap<>();
        apart.put("a:1", new long[] {10, 1});
        apart.put("b:1", new long[] {260, 1});
        apart.put("c:1", new long[] {30, 1});
        List<Finding> findings = Doctor.clocks(apart);
        assertThat(checks(findings)).containsExactly("WARNING clock");
        assertThat(findings.get(0).problem()).contains("250 ms apart", "b:1 ahead of a:1");

        Map<String, long[]> uncertain = new LinkedHashMap<>();
        uncertain.put("a:1", new long[] {0, 80});
        uncertain.put("b:1", new long[] {150, 80});
        assertThat(Doctor.clocks(uncertain)).as("a slow round trip leaves 160 ms unknown").isEmpty();

        Map<String, long[]> local = new LinkedHashMap<>();
        local.put("a:1", new long[] {-5000, 1});
        local.put("b:1", new long[] {-5010, 1});
        List<Finding> behind = Doctor.clocks(local);
        assertThat(checks(behind)).containsExactly("WARNING clock", "WARNING clock");
        assertThat(behind.get(0).node()).isEqualTo("a:1");
        assertThat(behind.get(0).problem()).contains("5000 ms behind this machine's");
    }

    @Test
    void theExitCodeIsTheWorstFinding() {
        Finding problem = Finding.problem("x", null, "p", "f");
        Finding warning = Finding.warning("y", "h:1", "p", "f");
        assertThat(new Doctor.Result(List.of(), true).exitCode()).isEqualTo(Pgha.OK);
        assertThat(new Doctor.Result(List.of(warning), true).exitCode()).isEqualTo(Pgha.WARNING);
        assertThat(new Doctor.Result(List.of(warning, problem), true).exitCode()).isEqualTo(Pgha.PROBLEM);
        assertThat(new Doctor.Result(List.of(warning), false).exitCode()).isEqualTo(Pgha.UNREACHABLE);
        String text = new Doctor.Result(List.of(warning, problem), true).text(configOrThrow(), Duration.ofSeconds(5));
        assertThat(text.indexOf("PROBLEM  x")).as("problems first").isLessThan(text.indexOf("WARNING  y on h:1"));
        assertThat(text).contains("1 problem, 1 warning");
    }

    private static PghaConfig configOrThrow() {
        try {
            return config("");
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void replicasThatNeverQualifiedAreNamedAndWithFailEveryReadFails() {
        ClusterStatus status = new ClusterStatus(Instant.EPOCH, ClusterStatus.Writes.PRIMARY, "a:1", List.of(
                node("a:1", ClusterStatus.Role.PRIMARY, true), node("b:1", ClusterStatus.Role.REPLICA, true)));
        List<String> reads = java.util.Arrays.asList("x", "lag 3000ms > 1000ms");
        Map<String, int[]> watched = Map.of("b:1", new int[] {20, 0});
        assertThat(checks(Doctor.replicas(watched, status, reads, ReadFallback.PRIMARY))).containsExactly("WARNING replica-lag");
        assertThat(Doctor.replicas(watched, status, reads, ReadFallback.PRIMARY).get(0).problem())
                .contains("20 samples", "last: lag 3000ms > 1000ms");
        assertThat(checks(Doctor.replicas(watched, status, reads, ReadFallback.FAIL)))
                .containsExactly("WARNING replica-lag", "PROBLEM replica-lag");
        assertThat(Doctor.replicas(Map.of("b:1", new int[] {20, 1}), status, reads, ReadFallback.FAIL))
                .as("qualified once: it serves reads").isEmpty();
    }

    private static ClusterStatus.Node node(String host, ClusterStatus.Role role, boolean up) {
        return new ClusterStatus.Node(host, role, up, false, 3, up ? Duration.ofMillis(120) : null, up ? 0L : null,
                up ? null : "Connection refused");
    }

    @Test
    void statusExitsByWhatTheApplicationCanDo() {
        List<ClusterStatus.Node> all = List.of(node("a:1", ClusterStatus.Role.PRIMARY, true),
                node("b:1", ClusterStatus.Role.REPLICA, true), node("c:1", ClusterStatus.Role.REPLICA, false));
        ClusterStatus status = new ClusterStatus(Instant.EPOCH, ClusterStatus.Writes.PRIMARY, "a:1", all);
        StatusReport degraded = new StatusReport("ehr@a:1,b:1,c:1#u", Duration.ofSeconds(1), status,
                java.util.Arrays.asList("primary", null, "down (Connection refused)"));
        assertThat(degraded.exitCode()).isEqualTo(Pgha.WARNING);
        assertThat(degraded.text()).contains("writes   a:1 (primary, timeline 3)",
                "reads    within maxReplicaLag 1s: b:1").containsPattern("b:1 +replica +up +3 +120 ms +0 B +yes")
                .containsPattern("c:1 +replica +down +3 +- +- +no: down \\(Connection refused\\)")
                .containsPattern("a:1 +primary +up .* takes writes");

        StatusReport healthy = new StatusReport("c", Duration.ofSeconds(1),
                new ClusterStatus(Instant.EPOCH, ClusterStatus.Writes.PRIMARY, "a:1", all.subList(0, 2)),
                java.util.Arrays.asList("primary", null));
        assertThat(healthy.exitCode()).isEqualTo(Pgha.OK);

        StatusReport noRead = new StatusReport("c", Duration.ofSeconds(1),
                new ClusterStatus(Instant.EPOCH, ClusterStatus.Writes.PRIMARY, "a:1", all.subList(0, 2)),
                java.util.Arrays.asList("primary", "lag 1500ms > 1000ms"));
        assertThat(noRead.exitCode()).isEqualTo(Pgha.WARNING);
        assertThat(noRead.text()).contains("within maxReplicaLag 1s: none");

        StatusReport split = new StatusReport("c", Duration.ofSeconds(1),
                new ClusterStatus(Instant.EPOCH, ClusterStatus.Writes.SPLIT_BRAIN, null, all.subList(0, 2)),
                java.util.Arrays.asList("x", "y"));
        assertThat(split.exitCode()).isEqualTo(Pgha.PROBLEM);
        assertThat(split.text()).contains("split brain");
    }
}
