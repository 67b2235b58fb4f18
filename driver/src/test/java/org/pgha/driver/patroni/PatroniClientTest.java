package org.pgha.driver.patroni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The REST client against small HTTP servers on loopback that answer as Patroni would, or not. */
class PatroniClientTest {

    private static final String CLUSTER = "{\"members\": [{\"name\": \"m1\", \"host\": \"127.0.0.1\", \"port\": 5432,"
            + " \"role\": \"leader\", \"state\": \"running\"}]}";

    private final List<HttpServer> servers = new java.util.ArrayList<>();
    private final AtomicReference<String> authorization = new AtomicReference<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    private URI serve(int status, byte[] body) throws IOException {
        return serve("/cluster", status, body);
    }

    private URI serve(String path, int status, byte[] body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(path, exchange -> {
            authorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        servers.add(server);
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private static URI closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    private static PatroniClient client(List<URI> endpoints, String user, String password) {
        return new PatroniClient(endpoints, Duration.ofSeconds(2), user, password, null);
    }

    @Test
    void theFirstEndpointThatAnswersWellFormedGivesTheViewWithBasicAuthenticationWhenSet() throws Exception {
        URI refused = closedPort();
        URI failing = serve(503, "{}".getBytes(StandardCharsets.UTF_8));
        URI malformed = serve(200, "<html>".getBytes(StandardCharsets.UTF_8));
        URI good = serve(200, CLUSTER.getBytes(StandardCharsets.UTF_8));
        PatroniView view = client(List.of(refused, failing, malformed, good), "pgha", "s3cret").cluster();
        assertThat(view.members()).extracting(PatroniView.Member::name).containsExactly("m1");
        assertThat(authorization.get()).isEqualTo("Basic cGdoYTpzM2NyZXQ=");
        client(List.of(good), null, null).cluster();
        assertThat(authorization.get()).as("no credentials, no header").isNull();
    }

    @Test
    void whenNoEndpointAnswersTheFailureNamesEachAndATooLargeAnswerIsRefused() throws Exception {
        URI refused = closedPort();
        URI failing = serve(500, new byte[0]);
        URI huge = serve(200, new byte[PatroniClient.MAX_BODY + 10]);
        assertThatThrownBy(() -> client(List.of(refused, failing, huge), null, null).cluster())
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("No Patroni endpoint answered GET /cluster: " + refused)
                .hasMessageContaining(failing + ": HTTP 500")
                .hasMessageContaining(huge + ": an answer of more than " + PatroniClient.MAX_BODY + " bytes");
        assertThatThrownBy(() -> client(List.of(), null, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theSynchronousModeSettingsComeFromConfig() throws Exception {
        URI config = serve("/config", 200, "{\"synchronous_mode\": true, \"synchronous_mode_strict\": true}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(client(List.of(closedPort(), config), null, null).settings()).isEqualTo(new PatroniSettings(true, true));
        assertThatThrownBy(() -> client(List.of(closedPort()), null, null).settings())
                .hasMessageStartingWith("No Patroni endpoint answered GET /config");
    }
}
