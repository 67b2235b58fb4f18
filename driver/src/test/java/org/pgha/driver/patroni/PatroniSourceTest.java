package org.pgha.driver.patroni;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.topology.ClusterMonitor;

/**
 * What the source tells the monitor from Patroni's {@code /config}, against a loopback HTTP
 * server answering as Patroni would (the monitor's probes find nobody: only the source's word
 * is under test).
 */
class PatroniSourceTest {

    private final AtomicReference<String> config = new AtomicReference<>("{}");
    private HttpServer server;
    private ClusterMonitor monitor;

    @AfterEach
    void stop() {
        if (monitor != null) {
            monitor.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    private PatroniSource source() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/config", exchange -> {
            byte[] body = config.get().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        monitor = new ClusterMonitor(PghaConfig.parse("jdbc:pgha://127.0.0.1:1/db?probeInterval=50ms&patroni=" + endpoint, null),
                host -> {
                    throw new SQLException("Connection to " + host + " refused", "08001");
                }, System::nanoTime, Clock.systemUTC()).start();
        return new PatroniSource(new PatroniClient(List.of(endpoint), Duration.ofSeconds(2), null, null, null), monitor, 50);
    }

    @Test
    void theSynchronousStandbysSamplesBoundReadsOnlyWhilePatroniIsStrict() throws Exception {
        PatroniSource source = source();
        assertThat(monitor.synchronousSetTrusted()).as("with patroni, not before Patroni's word").isFalse();

        config.set("{\"synchronous_mode\": true, \"synchronous_mode_strict\": true}");
        source.readSettings();
        assertThat(monitor.synchronousSetTrusted()).isTrue();

        config.set("{\"synchronous_mode\": true, \"synchronous_mode_strict\": false}");
        source.readSettings();
        assertThat(monitor.synchronousSetTrusted()).as("Patroni may drop the synchronous standby").isFalse();

        config.set("{\"synchronous_mode\": false, \"synchronous_mode_strict\": true}");
        source.readSettings();
        assertThat(monitor.synchronousSetTrusted()).as("no synchronous mode at all").isFalse();

        config.set("{\"synchronous_mode\": true, \"synchronous_mode_strict\": true}");
        source.readSettings();
        server.stop(0);
        server = null;
        source.readSettings();
        assertThat(monitor.synchronousSetTrusted()).as("an unanswered /config keeps the last word").isTrue();
    }

    private static PatroniView view(boolean paused, boolean leader) {
        return PatroniView.parse("{\"pause\": " + paused + ", \"members\": [{\"name\": \"m1\", \"host\": \"127.0.0.1\","
                + " \"port\": 5432, \"role\": \"" + (leader ? "leader" : "replica") + "\", \"state\": \"running\"}]}");
    }

    @Test
    void maintenanceModeIsReportedWhenItBeginsEndsAndWhenAPausedClusterLosesItsLeader() {
        assertThat(PatroniSource.pauseNote(null, view(false, true))).isNull();
        assertThat(PatroniSource.pauseNote(view(false, true), view(false, true))).isNull();
        assertThat(PatroniSource.pauseNote(view(false, true), view(true, true))).contains("paused", "will not fail over");
        assertThat(PatroniSource.pauseNote(view(true, true), view(true, true))).as("once").isNull();
        assertThat(PatroniSource.pauseNote(view(true, true), view(true, false))).contains("no leader", "promotes nobody");
        assertThat(PatroniSource.pauseNote(view(true, false), view(true, false))).as("once").isNull();
        assertThat(PatroniSource.pauseNote(null, view(true, false))).contains("no leader");
        assertThat(PatroniSource.pauseNote(view(true, false), view(false, false))).contains("no longer paused");
        assertThat(PatroniSource.pauseNote(view(false, false), view(false, false))).as("a failover Patroni runs itself").isNull();
    }

    @Test
    void withoutPatroniTheSynchronousSetIsTrustedAsDocumented() throws Exception {
        monitor = new ClusterMonitor(PghaConfig.parse("jdbc:pgha://127.0.0.1:1/db", null), host -> {
            throw new SQLException("refused", "08001");
        }, System::nanoTime, Clock.systemUTC());
        assertThat(monitor.synchronousSetTrusted()).isTrue();
    }
}
