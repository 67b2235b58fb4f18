package org.pgha.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;

/**
 * A canary password, given everywhere a secret can be given (the URL, the user's password,
 * {@code sslpassword}, {@code monitorPassword}), never reaches a log line (DEBUG included, with
 * HikariCP's settings dump), an exception message, {@code toString}, a meter tag or the cluster
 * status that health checks report, through normal use and through errors.
 */
@LocalClusterTest(standbys = 1)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SecretsClusterTest {

    private static final String CANARY = "Canary7f3kQz";

    @Test
    void theCanaryPasswordIsNowhere(LocalCluster cluster) throws Exception {
        try (Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE canary LOGIN SUPERUSER PASSWORD '" + CANARY + "'");
        }
        cluster.awaitReplication(java.time.Duration.ofSeconds(30));
        List<String> seen = new ArrayList<>();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try {
            try (PghaPoolDataSource ds = new PghaPoolDataSource()) {
                ds.setJdbcUrl("jdbc:pgha://" + cluster.hosts() + "/" + cluster.database()
                        + "?password=" + CANARY + "&monitorUser=canary&monitorPassword=" + CANARY + "&maxReplicaLag=30s");
                ds.setUsername("canary");
                ds.addDataSourceProperty("sslpassword", CANARY);
                ds.setMetricRegistry(registry);
                try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                    s.execute("SELECT 1");
                    seen.add(c.toString());
                    seen.add(messages(() -> s.execute("SELECT no_such_column FROM pg_class")));
                }
                try (Connection c = ds.getConnection()) {
                    c.setReadOnly(true);
                    c.createStatement().execute("SELECT 1");
                }
                seen.add(ds.toString());
                assertThat(ds.nodePoolConfigs()).hasSize(2);
                ds.nodePoolConfigs().forEach((host, config) -> {
                    // What HikariCP's settings dump (DEBUG) would show of a node's pool.
                    com.zaxxer.hikari.HikariConfig copy = new com.zaxxer.hikari.HikariConfig();
                    config.copyStateTo(copy);
                    copy.validate();
                    seen.add(String.valueOf(copy.getDataSourceProperties()) + copy.getDataSource() + copy.getPassword());
                });
                seen.add(ds.clusterStatus().toString());
                for (Meter meter : registry.getMeters()) {
                    seen.add(meter.getId().toString());
                }
            }
            // Errors with the canary in them: a wrong password, a URL that is not pgha's, bad values.
            seen.add(messages(() -> {
                try (PghaPoolDataSource ds = new PghaPoolDataSource()) {
                    ds.setJdbcUrl("jdbc:pgha://" + cluster.hosts() + "/" + cluster.database() + "?failoverTimeout=30s");
                    ds.setUsername("canary");
                    ds.setPassword(CANARY + "-wrong");
                    ds.getConnection().createStatement().execute("SELECT 1");
                }
            }));
            seen.add(messages(() -> {
                try (PghaPoolDataSource ds = new PghaPoolDataSource()) {
                    ds.setJdbcUrl("jdbc:postgresql://" + cluster.hosts() + "/" + cluster.database() + "?password=" + CANARY);
                    ds.getConnection();
                }
            }));
            for (String url : List.of("?password=" + CANARY + "&maxReplicaLag=soon", "?password=ab&" + CANARY,
                    "?password=" + CANARY + "+x", "?monitorUser=canary&monitorPassword=" + CANARY + "&probeInterval=-1")) {
                seen.add(messages(() -> {
                    try (PghaPoolDataSource ds = new PghaPoolDataSource()) {
                        ds.setJdbcUrl("jdbc:pgha://" + cluster.hosts() + "/" + cluster.database() + url);
                        ds.getConnection();
                    }
                }));
            }
        } finally {
            System.setErr(err);
        }
        String logs = captured.toString(StandardCharsets.UTF_8);
        err.print(logs);
        assertThat(logs).as("the log").contains("HikariConfig", "pgha cluster").doesNotContain(CANARY);
        assertThat(seen).hasSizeGreaterThan(10).allSatisfy(text -> assertThat(text).doesNotContain(CANARY));
        assertThat(String.join("\n", seen)).contains("password authentication failed", "jdbc:postgresql:");
    }

    @FunctionalInterface
    private interface Failing {
        void run() throws Exception;
    }

    /** Everything the failure shows: its stack trace, with causes and suppressed exceptions. */
    private static String messages(Failing failing) {
        try {
            failing.run();
        } catch (Exception e) {
            StringWriter text = new StringWriter();
            e.printStackTrace(new PrintWriter(text));
            return text.toString();
        }
        throw new AssertionError("expected a failure");
    }
}
