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
    void anAnswerWhoseBodyStallsFailsWithinTheTimeout() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        server.createContext("/cluster", exchange -> {
            byte[] body = CLUSTER.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            OutputStream out = exchange.getResponseBody();
            out.write(body, 0, 10);
            out.flush();
            try {
                release.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        servers.add(server);
        try {
            URI stalled = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
            long start = System.nanoTime();
            PatroniClient client = new PatroniClient(List.of(stalled), Duration.ofMillis(300), null, null, null);
            assertThatThrownBy(client::cluster).hasMessageContaining("no complete answer within 300 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("bounded by the timeout, not by the server")
                    .isLessThan(Duration.ofSeconds(10));
        } finally {
            release.countDown();
        }
    }

    @Test
    void httpsIsVerifiedAgainstPatroniSslRootCertWithTheHostNameChecked(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        org.pgha.testkit.internal.TestCertificates certificates = org.pgha.testkit.internal.TestCertificates.create(dir,
                org.pgha.testkit.internal.TestCertificates.OPENSSL);
        java.nio.file.Path keyStore = dir.resolve("server.p12");
        Process export = new ProcessBuilder(org.pgha.testkit.internal.TestCertificates.OPENSSL, "pkcs12", "-export",
                "-in", certificates.serverCertificate().toString(), "-inkey", certificates.serverKey().toString(),
                "-out", keyStore.toString(), "-passout", "pass:secret").redirectErrorStream(true).start();
        assertThat(export.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && export.exitValue() == 0).as("openssl pkcs12").isTrue();
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(keyStore)) {
            store.load(in, "secret".toCharArray());
        }
        javax.net.ssl.KeyManagerFactory keys = javax.net.ssl.KeyManagerFactory.getInstance(
                javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, "secret".toCharArray());
        javax.net.ssl.SSLContext serverContext = javax.net.ssl.SSLContext.getInstance("TLS");
        serverContext.init(keys.getKeyManagers(), null, null);
        int port = https(serverContext, "127.0.0.1");
        int otherNamePort = https(serverContext, "127.0.0.2");

        javax.net.ssl.SSLContext trusted = org.pgha.driver.config.TrustedCertificates.context(
                org.pgha.driver.config.TrustedCertificates.read(certificates.rootCertificate()));
        PatroniView view = new PatroniClient(List.of(URI.create("https://127.0.0.1:" + port)), Duration.ofSeconds(5),
                null, null, trusted).cluster();
        assertThat(view.members()).extracting(PatroniView.Member::name).containsExactly("m1");

        javax.net.ssl.SSLContext other = org.pgha.driver.config.TrustedCertificates.context(
                org.pgha.driver.config.TrustedCertificates.read(certificates.untrustedRootCertificate()));
        assertThatThrownBy(() -> new PatroniClient(List.of(URI.create("https://127.0.0.1:" + port)), Duration.ofSeconds(5),
                null, null, other).cluster()).as("another authority").hasMessageContaining("PKIX path");
        assertThatThrownBy(() -> new PatroniClient(List.of(URI.create("https://127.0.0.1:" + port)), Duration.ofSeconds(5),
                null, null, null).cluster()).as("the JVM's trust store does not know the test authority")
                .hasMessageContaining("PKIX path");
        // The certificate names 127.0.0.1 and localhost, not 127.0.0.2: the host name is checked.
        assertThatThrownBy(() -> new PatroniClient(List.of(URI.create("https://127.0.0.2:" + otherNamePort)),
                Duration.ofSeconds(5), null, null, trusted).cluster()).as("another host name")
                .hasMessageContaining("No subject alternative names matching IP address 127.0.0.2");
    }

    /** An HTTPS server on {@code address} (loopback) answering {@code /cluster}; its port. */
    private int https(javax.net.ssl.SSLContext context, String address) throws IOException {
        com.sun.net.httpserver.HttpsServer server = com.sun.net.httpserver.HttpsServer.create(
                new InetSocketAddress(InetAddress.getByName(address), 0), 0);
        server.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(context));
        byte[] body = CLUSTER.getBytes(StandardCharsets.UTF_8);
        server.createContext("/cluster", exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        servers.add(server);
        return server.getAddress().getPort();
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
