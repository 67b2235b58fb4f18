package org.pgha.driver.patroni;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * Asks Patroni's REST API for {@code GET /cluster}, one endpoint after the other until one
 * answers: every member serves the same DCS view, so any running one will do. Each request is
 * bounded by {@code timeout}; a body larger than {@value #MAX_BODY} bytes is refused. Safe for
 * concurrent use.
 */
public final class PatroniClient {

    /** Far above what a cluster of hundreds of members answers. */
    static final int MAX_BODY = 1 << 20;

    private final List<URI> endpoints;
    private final Duration timeout;
    private final String authorization;
    private final HttpClient http;

    /**
     * @param endpoints the REST API base URLs, such as {@code http://10.0.0.1:8008}
     * @param user with {@code password}, HTTP basic authentication; null for none
     * @param ssl for {@code https} endpoints, the trust to verify them with; null for the JVM's default
     */
    public PatroniClient(List<URI> endpoints, Duration timeout, String user, String password, SSLContext ssl) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no Patroni endpoint");
        }
        this.endpoints = List.copyOf(endpoints);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.authorization = user == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + (password == null ? "" : password)).getBytes(StandardCharsets.UTF_8));
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (ssl != null) {
            builder.sslContext(ssl);
        }
        this.http = builder.build();
    }

    /** The endpoints, in the order they are asked. */
    public List<URI> endpoints() {
        return endpoints;
    }

    /**
     * Patroni's view, from the first endpoint that answers with a well-formed {@code /cluster}.
     *
     * @throws IOException naming each endpoint's failure when none answered
     */
    public PatroniView cluster() throws IOException, InterruptedException {
        return first("/cluster", PatroniView::parse);
    }

    /**
     * Patroni's dynamic configuration ({@code GET /config}) as far as pgha reads it, from the
     * first endpoint that answers.
     *
     * @throws IOException naming each endpoint's failure when none answered
     */
    public PatroniSettings settings() throws IOException, InterruptedException {
        return first("/config", PatroniSettings::parse);
    }

    /** {@code path} read from the first endpoint whose answer {@code parser} accepts. */
    private <T> T first(String path, java.util.function.Function<String, T> parser)
            throws IOException, InterruptedException {
        List<String> failures = new ArrayList<>();
        for (URI endpoint : endpoints) {
            try {
                return parser.apply(get(endpoint.resolve(path)));
            } catch (IOException | IllegalArgumentException e) {
                failures.add(endpoint + ": " + e.getMessage());
            }
        }
        throw new IOException("No Patroni endpoint answered GET " + path + ": " + String.join("; ", failures));
    }

    private String get(URI uri) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            if (response.statusCode() != 200) {
                throw new IOException("HTTP " + response.statusCode());
            }
            byte[] body = in.readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                throw new IOException("an answer of more than " + MAX_BODY + " bytes");
            }
            return new String(body, StandardCharsets.UTF_8);
        }
    }
}
