package org.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * {@code pgha status} and {@code pgha doctor} on a real cluster (TLS, a primary, a synchronous
 * and an asynchronous standby) given each problem in turn: a setting below what an
 * acknowledged commit needs, no synchronous standby, a missing privilege, TLS not verified,
 * a replica kept behind (its replay paused), a member down, a clock that disagrees, and
 * {@code wal_level=minimal} on a cluster of its own. Each test puts back what it changed.
 */
@LocalClusterTest(tls = true)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PghaCommandClusterTest {

    record Run(int exit, String out) {
    }

    @BeforeAll
    static void roles(LocalCluster cluster) throws SQLException {
        sql(cluster, "CREATE ROLE clerk LOGIN PASSWORD 'clerk'",
                "GRANT pg_read_all_stats TO clerk",
                "CREATE ROLE watcher LOGIN PASSWORD 'watcher'");
    }

    @AfterAll
    static void noneLeft(LocalCluster cluster) throws SQLException {
        sql(cluster, "DROP ROLE clerk", "DROP ROLE watcher");
    }

    static String url(LocalCluster cluster, String query) {
        return "jdbc:pgha://" + cluster.hosts() + "/" + cluster.database() + "?sslmode=verify-full&sslrootcert="
                + cluster.rootCertificate().orElseThrow() + "&probeInterval=100ms&maxReplicaLag=1s" + query;
    }

    static Run run(LocalCluster cluster, String user, String password, Clock clock, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = Pgha.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), System.err,
                Map.of("PGUSER", user, "PGPASSWORD", password), clock);
        return new Run(exit, out.toString(StandardCharsets.UTF_8));
    }

    static Run doctor(LocalCluster cluster, String user, String password, String query) {
        return run(cluster, user, password, Clock.systemUTC(), "doctor", url(cluster, query), "--watch", "500ms");
    }

    static Run doctor(LocalCluster cluster, String query) {
        return doctor(cluster, cluster.user(), cluster.password(), query);
    }

    static Run status(LocalCluster cluster) {
        return run(cluster, cluster.user(), cluster.password(), Clock.systemUTC(), "status", url(cluster, ""));
    }

    static void sql(LocalCluster cluster, String... statements) throws SQLException {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    /** The findings' headings, such as {@code PROBLEM  synchronous-commit on 127.0.0.1:5432}. */
    static List<String> headings(Run run) {
        List<String> lines = new ArrayList<>();
        for (String line : run.out().split("\n")) {
            if (line.startsWith("PROBLEM") || line.startsWith("WARNING")) {
                lines.add(line.replaceAll(" +", " "));
            }
        }
        return lines;
    }

    @Test
    void aHealthyClusterHasNothingToReport(LocalCluster cluster) {
        Run doctor = doctor(cluster, "");
        assertThat(doctor.exit()).as(doctor.out()).isEqualTo(Pgha.OK);
        assertThat(doctor.out()).contains("no problem found");

        Run status = status(cluster);
        assertThat(status.exit()).as(status.out()).isEqualTo(Pgha.OK);
        Node primary = cluster.primary();
        assertThat(status.out()).contains("writes   " + primary.hostAndPort() + " (primary, timeline "
                + cluster.timeline(primary) + ")");
        assertThat(status.out()).containsPattern(java.util.regex.Pattern.quote(primary.hostAndPort())
                + " +primary +up +\\d+ +0 ms +0 B +takes writes");
        for (Node standby : cluster.standbys()) {
            assertThat(status.out()).contains(standby.hostAndPort())
                    .containsPattern(java.util.regex.Pattern.quote(standby.hostAndPort()) + " +replica +up +\\d+ +\\d+ ms +\\d+ .?B +yes");
        }
    }

    @Test
    void tlsThatChecksNoCertificateIsAWarning(LocalCluster cluster) {
        Run doctor = run(cluster, cluster.user(), cluster.password(), Clock.systemUTC(), "doctor",
                "jdbc:pgha://" + cluster.hosts() + "/" + cluster.database() + "?sslmode=require&probeInterval=100ms",
                "--watch", "500ms");
        assertThat(doctor.exit()).as(doctor.out()).isEqualTo(Pgha.WARNING);
        assertThat(headings(doctor)).containsExactly("WARNING tls");
        assertThat(doctor.out()).contains("sslmode=require encrypts but checks no certificate", "fix: sslmode=verify-full");
    }

    @Test
    void synchronousCommitBelowOnForTheApplicationsUserIsAProblem(LocalCluster cluster) throws SQLException {
        sql(cluster, "ALTER ROLE clerk SET synchronous_commit = local");
        try {
            Run doctor = doctor(cluster, "clerk", "clerk", "");
            assertThat(doctor.exit()).as(doctor.out()).isEqualTo(Pgha.PROBLEM);
            assertThat(headings(doctor)).containsExactly("PROBLEM synchronous-commit on " + cluster.primary().hostAndPort());
            assertThat(doctor.out()).contains("synchronous_commit is local for clerk (set by user)",
                    "a failover can lose an acknowledged commit", "fix: ALTER ROLE clerk RESET synchronous_commit");

            sql(cluster, "ALTER ROLE clerk SET synchronous_commit = remote_write");
            Run remoteWrite = doctor(cluster, "clerk", "clerk", "");
            assertThat(remoteWrite.exit()).as(remoteWrite.out()).isEqualTo(Pgha.WARNING);
            assertThat(headings(remoteWrite)).containsExactly("WARNING synchronous-commit on " + cluster.primary().hostAndPort());
        } finally {
            sql(cluster, "ALTER ROLE clerk RESET synchronous_commit");
        }
        Run fixed = doctor(cluster, "clerk", "clerk", "");
        assertThat(fixed.exit()).as(fixed.out()).isEqualTo(Pgha.OK);
    }

    @Test
    void noSynchronousStandbyIsAProblemAndOneThatIsGoneHangsWrites(LocalCluster cluster) throws Exception {
        sql(cluster, "ALTER SYSTEM SET synchronous_standby_names = ''", "SELECT pg_reload_conf()");
        try {
            Thread.sleep(200); // the reload is asynchronous
            Run doctor = doctor(cluster, "");
            assertThat(doctor.exit()).as(doctor.out()).isEqualTo(Pgha.PROBLEM);
            assertThat(headings(doctor)).containsExactly("PROBLEM synchronous-standby on " + cluster.primary().hostAndPort());
            assertThat(doctor.out()).contains("synchronous_standby_names is empty", "synchronous_mode: true");
        } finally {
            sql(cluster, "ALTER SYSTEM RESET synchronous_standby_names", "SELECT pg_reload_conf()");
        }
        Node sync = cluster.synchronousStandby().orElseThrow();
        cluster.stop(sync);
        try {
            Run doctor = doctor(cluster, "");
            assertThat(doctor.exit()).as(doctor.out()).isEqualTo(Pgha.PROBLEM);
            assertThat(headings(doctor)).containsExactly("PROBLEM synchronous-standby on " + cluster.primary().hostAndPort(),
                    "WARNING member-down on " + sync.hostAndPort());
            assertThat(doctor.out()).contains("no standby is synchronous now", "writes hang");

            Run status = status(cluster);
            assertThat(status.exit()).as(status.out()).isEqualTo(Pgha.WARNING);
            assertThat(status.out()).as("a fresh monitor never saw it answer: role unknown")
                    .containsPattern(java.util.regex.Pattern.quote(sync.hostAndPort()) + " +unknown +down .* no: down");
        } finally {
            cluster.start(sync);
            cluster.awaitReplication(Duration.ofSeconds(30));
        }
    }

    @Test
    void aProbeRoleWithoutThePrivilegesItNeedsIsNamed(LocalCluster cluster) throws SQLException {
        String monitor = "&monitorUser=watcher&monitorPassword=watcher";
        Run unprivileged = doctor(cluster, monitor);
        assertThat(unprivileged.exit()).as(unprivileged.out()).isEqualTo(Pgha.WARNING);
        assertThat(headings(unprivileged)).containsExactly("WARNING probe-grants on " + cluster.primary().hostAndPort());
        assertThat(unprivileged.out()).contains("watcher lacks pg_read_all_stats", "GRANT pg_read_all_stats TO watcher");

        sql(cluster, "REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC");
        try {
            Run revoked = doctor(cluster, monitor);
            assertThat(revoked.exit()).as(revoked.out()).isEqualTo(Pgha.PROBLEM);
            for (Node node : cluster.nodes()) {
                assertThat(headings(revoked)).contains("PROBLEM probe-grants on " + node.hostAndPort(),
                        "WARNING member-down on " + node.hostAndPort());
            }
            assertThat(revoked.out()).contains("watcher cannot execute pg_control_system()",
                    "GRANT EXECUTE ON FUNCTION pg_control_system() TO watcher");
        } finally {
            sql(cluster, "GRANT EXECUTE ON FUNCTION pg_control_system() TO PUBLIC");
        }

        sql(cluster, "REVOKE EXECUTE ON FUNCTION pg_xact_status(xid8) FROM PUBLIC");
        try {
            Run outcome = doctor(cluster, "clerk", "clerk", monitor);
            assertThat(outcome.exit()).as(outcome.out()).isEqualTo(Pgha.PROBLEM);
            assertThat(headings(outcome)).contains("PROBLEM outcome-grants on " + cluster.primary().hostAndPort());
            assertThat(outcome.out()).contains("clerk cannot execute pg_xact_status(xid8)", "OutcomeUnknownException");
        } finally {
            sql(cluster, "GRANT EXECUTE ON FUNCTION pg_xact_status(xid8) TO PUBLIC");
        }
    }

    @Test
    void aReplicaKeptBehindTheBoundIsNamedByStatusAndDoctor(LocalCluster cluster) throws Exception {
        Node async = cluster.standbys().stream().filter(n -> !n.equals(cluster.synchronousStandby().orElseThrow()))
                .findFirst().orElseThrow();
        sql(cluster, "CREATE TABLE IF NOT EXISTS doctor_writes (id bigserial PRIMARY KEY)");
        cluster.pauseReplay(async);
        Thread writer = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    sql(cluster, "INSERT INTO doctor_writes DEFAULT VALUES");
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        writer.start();
        try {
            Thread.sleep(1500); // past maxReplicaLag (1s): what the async standby last replayed is older than that
            Run doctor = run(cluster, cluster.user(), cluster.password(), Clock.systemUTC(), "doctor", url(cluster, ""),
                    "--watch", "1500ms");
            assertThat(doctor.exit()).as(doctor.out()).isEqualTo(Pgha.WARNING);
            assertThat(headings(doctor)).containsExactly("WARNING replica-lag on " + async.hostAndPort());
            assertThat(doctor.out()).contains("never served reads within maxReplicaLag", "last: lag");

            Run status = status(cluster);
            assertThat(status.exit()).as("the other replica serves reads: " + status.out()).isEqualTo(Pgha.OK);
            assertThat(status.out()).containsPattern(java.util.regex.Pattern.quote(async.hostAndPort())
                    + " +replica +up .* no: lag (\\d+ms > 1000ms|unknown: replay LSN .* is below all)");
        } finally {
            writer.interrupt();
            writer.join();
            cluster.resumeReplay(async);
            cluster.awaitReplication(Duration.ofSeconds(30));
        }
    }

    @Test
    void aClockThatDisagreesIsNamed(LocalCluster cluster) {
        Run doctor = run(cluster, cluster.user(), cluster.password(), Clock.offset(Clock.systemUTC(), Duration.ofSeconds(-5)),
                "doctor", url(cluster, ""), "--watch", "500ms");
        assertThat(doctor.exit()).as(doctor.out()).isEqualTo(Pgha.WARNING);
        for (Node node : cluster.nodes()) {
            assertThat(headings(doctor)).contains("WARNING clock on " + node.hostAndPort());
        }
        assertThat(doctor.out()).contains("ms ahead of this machine's");
    }

    @Test
    void walLevelMinimalIsAProblem() {
        try (LocalCluster alone = LocalCluster.builder().standbys(0).synchronousStandbys(0)
                .setting("wal_level", "minimal").setting("max_wal_senders", "0").start()) {
            Run doctor = run(alone, alone.user(), alone.password(), Clock.systemUTC(), "doctor",
                    "jdbc:pgha://" + alone.hosts() + "/" + alone.database() + "?probeInterval=100ms",
                    "--watch", "500ms");
            assertThat(doctor.exit()).as(doctor.out()).isEqualTo(Pgha.PROBLEM);
            assertThat(headings(doctor)).containsExactly("PROBLEM tls",
                    "PROBLEM wal-level on " + alone.primary().hostAndPort(),
                    "PROBLEM synchronous-standby on " + alone.primary().hostAndPort());
            assertThat(doctor.out()).contains("wal_level is minimal", "fix: wal_level = replica");
        }
    }
}
