package org.pgha.driver.patroni;

import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;

/**
 * Asks Patroni's REST API for {@code GET /cluster}, one endpoint after the other until one
 * answers: every member serves the same DCS view, so any running one will do. Each request,
 * from the connection to the answer's last byte, is bounded by {@code timeout}; a body larger
 * than {@value #MAX_BODY} bytes is refused. Safe for concurrent use.
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
        // The request's own timeout ends at the answer's headers; the deadline bounds the body too.
        CompletableFuture<HttpResponse<byte[]>> exchange = http.sendAsync(request.build(),
                info -> info.statusCode() == 200 ? new LimitedBody() : HttpResponse.BodySubscribers.<byte[]>replacing(null));
        HttpResponse<byte[]> response;
        try {
            response = exchange.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new IOException("no complete answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException(String.valueOf(cause), cause);
        }
        if (response.statusCode() != 200) {
            throw new IOException("HTTP " + response.statusCode());
        }
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /** Collects a body of at most {@value #MAX_BODY} bytes and fails a larger one as soon as it is. */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private Flow.Subscription subscription;

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer buffer : buffers) {
                if (bytes.size() + (long) buffer.remaining() > MAX_BODY) {
                    subscription.cancel();
                    body.completeExceptionally(new IOException("an answer of more than " + MAX_BODY + " bytes"));
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable failure) {
            body.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            body.complete(bytes.toByteArray());
        }
    }
}
