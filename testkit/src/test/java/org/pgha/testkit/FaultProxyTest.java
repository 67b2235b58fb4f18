package org.pgha.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Drives {@link FaultProxy} in front of a small echo server. Timing assertions are lower bounds only, and
 * every blocking call has a timeout, so the tests neither flake on a loaded machine nor hang.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
final class FaultProxyTest {

    private static final String THREAD_PREFIX = "pgha-fault-proxy-";
    /** Generous: only ever waited out in full when the proxy misbehaves. */
    private static final int READ_TIMEOUT_MILLIS = 5_000;
    /** How long a read must stay unanswered to count as "nothing comes back" in a black hole. */
    private static final int SILENCE_MILLIS = 300;
    private static final Duration AWAIT = Duration.ofSeconds(5);

    private EchoServer echo;
    private FaultProxy proxy;
    private final List<Socket> clients = new ArrayList<>();

    @BeforeEach
    void startEchoAndProxy() throws IOException {
        echo = new EchoServer();
        proxy = FaultProxy.start("127.0.0.1", echo.port());
    }

    @AfterEach
    void stopAll() throws IOException {
        for (Socket client : clients) {
            client.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (echo != null) {
            echo.close();
        }
    }

    @Test
    void listensOnLoopbackInPassMode() {
        assertThat(proxy.host()).isEqualTo("127.0.0.1");
        assertThat(proxy.port()).isBetween(1, 65_535).isNotEqualTo(echo.port());
        assertThat(proxy.mode()).isEqualTo(FaultProxy.Mode.PASS);
        assertThat(proxy.openConnections()).isZero();
    }

    @Test
    void passEchoesBytesBothWays() throws Exception {
        Socket client = connect();

        assertThat(roundTrip(client, "hello")).isEqualTo("hello");
        assertThat(proxy.openConnections()).isEqualTo(1);
        assertThat(echo.accepted()).isEqualTo(1);

        // More than one chunk, written while reading so that neither side's buffers can fill up and stall.
        byte[] payload = new byte[1 << 20];
        new Random(42).nextBytes(payload);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> write(client, payload));
        assertThat(readFully(client, payload.length)).isEqualTo(payload);
        writer.get(AWAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void latencyDelaysEveryChunkInBothDirections() throws Exception {
        Socket client = connect();
        assertThat(roundTrip(client, "warm")).isEqualTo("warm");
        Duration delay = Duration.ofMillis(150);

        proxy.latency(delay);

        assertThat(proxy.mode()).isEqualTo(FaultProxy.Mode.LATENCY);
        long started = System.nanoTime();
        assertThat(roundTrip(client, "slow")).isEqualTo("slow");
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        // Once on the way to the echo server and once on the way back.
        assertThat(elapsed).isGreaterThanOrEqualTo(delay.multipliedBy(2));

        proxy.pass();
        assertThat(proxy.mode()).isEqualTo(FaultProxy.Mode.PASS);
        assertThat(roundTrip(client, "fast")).isEqualTo("fast");
    }

    @Test
    void latencyRejectsNullAndNegativeDurations() {
        assertThatThrownBy(() -> proxy.latency(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
        assertThatThrownBy(() -> proxy.latency(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Duration.ofMillis(-5).toString());
        assertThat(proxy.mode()).isEqualTo(FaultProxy.Mode.PASS);
    }

    @Test
    void blackHoleSwallowsBytesOfExistingConnectionsInBothDirections() throws Exception {
        Socket client = connect();
        assertThat(roundTrip(client, "ping")).isEqualTo("ping");
        long receivedBefore = echo.received();

        proxy.blackHole();

        assertThat(proxy.mode()).isEqualTo(FaultProxy.Mode.BLACK_HOLE);
        // Client to server: never reaches the echo server, so nothing comes back.
        write(client, "lost".getBytes(UTF_8));
        assertSilent(client);
        assertThat(echo.received()).isEqualTo(receivedBefore);
        // Server to client: bytes the server pushes on its own are dropped too.
        echo.pushToAll("push".getBytes(UTF_8));
        assertSilent(client);
        // Both sockets stay open all along.
        assertThat(proxy.openConnections()).isEqualTo(1);
        assertThat(echo.open()).isEqualTo(1);

        // The link survives the black hole and forwards again afterwards. Whether the dropped bytes were
        // already swallowed when pass() ran is a matter of scheduling, so only the new bytes are asserted.
        proxy.pass();
        write(client, "back".getBytes(UTF_8));
        assertThat(readUntilEndsWith(client, "back")).endsWith("back");
    }

    @Test
    void blackHoleAcceptsNewConnectionsWithoutReachingTheTarget() throws Exception {
        proxy.blackHole();

        Socket client = connect();
        write(client, "hello?".getBytes(UTF_8));

        assertSilent(client);
        assertThat(proxy.openConnections()).isEqualTo(1);
        assertThat(echo.accepted()).isZero();
        assertThat(echo.received()).isZero();
    }

    @Test
    void resetResetsExistingConnectionsOnBothSides() throws Exception {
        Socket client = connect();
        assertThat(roundTrip(client, "ping")).isEqualTo("ping");

        proxy.reset();

        assertThat(proxy.mode()).isEqualTo(FaultProxy.Mode.RESET);
        assertConnectionReset(client);
        assertThat(proxy.openConnections()).isZero();
        // The target side got an RST as well, not an orderly end of stream.
        await().atMost(AWAIT).untilAsserted(() -> assertThat(echo.endedByReset()).isEqualTo(1));
    }

    @Test
    void resetAcceptsAndResetsNewConnections() throws Exception {
        proxy.reset();

        assertNewConnectionReset(proxy.port());
        assertThat(echo.accepted()).isZero();
        assertThat(proxy.openConnections()).isZero();
    }

    @Test
    void refuseRefusesNewConnectionsButKeepsExistingOnesAndPassListensAgainOnTheSamePort() throws Exception {
        Socket existing = connect();
        assertThat(roundTrip(existing, "before")).isEqualTo("before");
        int port = proxy.port();

        proxy.refuse();

        assertThat(proxy.mode()).isEqualTo(FaultProxy.Mode.REFUSE);
        assertThatThrownBy(this::connect).isInstanceOf(ConnectException.class);
        assertThat(roundTrip(existing, "during")).isEqualTo("during");

        proxy.pass();

        assertThat(proxy.port()).isEqualTo(port);
        Socket fresh = connect();
        assertThat(roundTrip(fresh, "after")).isEqualTo("after");
        assertThat(roundTrip(existing, "still")).isEqualTo("still");
    }

    @Test
    void cutExistingResetsCurrentConnectionsAndKeepsTheMode() throws Exception {
        Socket first = connect();
        Socket second = connect();
        assertThat(roundTrip(first, "one")).isEqualTo("one");
        assertThat(roundTrip(second, "two")).isEqualTo("two");

        proxy.cutExisting();

        assertThat(proxy.mode()).isEqualTo(FaultProxy.Mode.PASS);
        assertConnectionReset(first);
        assertConnectionReset(second);
        Socket fresh = connect();
        assertThat(roundTrip(fresh, "three")).isEqualTo("three");
        assertThat(proxy.openConnections()).isEqualTo(1);
    }

    @Test
    void clientIsResetWhenTheTargetRefuses() throws Exception {
        int deadPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            deadPort = probe.getLocalPort(); // free once the probe is closed: nothing listens there
        }
        try (FaultProxy toNowhere = FaultProxy.start("127.0.0.1", deadPort)) {
            assertNewConnectionReset(toNowhere.port());
            await().atMost(AWAIT).until(() -> toNowhere.openConnections() == 0);
        }
    }

    @Test
    void closeEndsEveryConnectionAndThreadAndStopsListening() throws Exception {
        Socket forwarded = connect();
        assertThat(roundTrip(forwarded, "ping")).isEqualTo("ping");
        // A pump sleeping out a long latency: close() must wake it rather than wait for it.
        proxy.latency(Duration.ofMinutes(1));
        write(forwarded, "slow".getBytes(UTF_8));
        proxy.blackHole();
        Socket swallowed = connect();
        await().atMost(AWAIT).until(() -> proxy.openConnections() == 2);
        List<Thread> proxyThreads = proxyThreads();
        assertThat(proxyThreads).isNotEmpty()
                .allSatisfy(thread -> {
                    assertThat(thread.getName()).startsWith(THREAD_PREFIX + proxy.port() + "-");
                    assertThat(thread.isDaemon()).isTrue();
                });

        proxy.close();

        assertThat(proxyThreads()).isEmpty();
        assertThat(proxy.openConnections()).isZero();
        assertConnectionEnded(forwarded);
        assertConnectionEnded(swallowed);
        assertThatThrownBy(this::connect).isInstanceOf(ConnectException.class);
        assertThatThrownBy(proxy::pass).isInstanceOf(IllegalStateException.class);
        proxy.close(); // idempotent
        await().atMost(AWAIT).until(() -> echo.open() == 0);
    }

    @Test
    void closeWhileRefusingLeavesNoThread() throws Exception {
        Socket existing = connect();
        assertThat(roundTrip(existing, "ping")).isEqualTo("ping");
        proxy.refuse();

        proxy.close();

        assertThat(proxyThreads()).isEmpty();
        assertConnectionEnded(existing);
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private Socket connect() throws IOException {
        return connect(proxy.port());
    }

    private Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        clients.add(socket);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        socket.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MILLIS);
        return socket;
    }

    private static String roundTrip(Socket socket, String text) throws IOException {
        byte[] bytes = text.getBytes(UTF_8);
        write(socket, bytes);
        return new String(readFully(socket, bytes.length), UTF_8);
    }

    private static void write(Socket socket, byte[] bytes) {
        try {
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] readFully(Socket socket, int length) throws IOException {
        byte[] bytes = socket.getInputStream().readNBytes(length);
        assertThat(bytes).as("bytes read before end of stream").hasSize(length);
        return bytes;
    }

    /** Reads (each read bounded by the socket timeout) until the text received so far ends with the suffix. */
    private static String readUntilEndsWith(Socket socket, String suffix) throws IOException {
        StringBuilder received = new StringBuilder();
        InputStream in = socket.getInputStream();
        byte[] chunk = new byte[256];
        while (received.length() < suffix.length() || !received.toString().endsWith(suffix)) {
            int count = in.read(chunk);
            assertThat(count).as("bytes read, having got \"%s\"", received).isPositive();
            received.append(new String(chunk, 0, count, UTF_8));
        }
        return received.toString();
    }

    /** Nothing arrives within a while, and the connection is neither ended nor reset. */
    private static void assertSilent(Socket socket) throws IOException {
        int timeout = socket.getSoTimeout();
        socket.setSoTimeout(SILENCE_MILLIS);
        try {
            assertThatThrownBy(() -> socket.getInputStream().read())
                    .isInstanceOf(SocketTimeoutException.class);
        } finally {
            socket.setSoTimeout(timeout);
        }
    }

    private static void assertConnectionReset(Socket socket) {
        // A timeout would be a SocketTimeoutException, which is not a SocketException: no false pass.
        assertThatThrownBy(() -> socket.getInputStream().read())
                .isInstanceOf(SocketException.class)
                .hasMessageContaining("reset");
    }

    /**
     * The reset may already be there when the connect completes: a timed connect is a non-blocking connect
     * followed by a poll, and the proxy can accept and reset the connection before that poll runs.
     */
    private void assertNewConnectionReset(int port) {
        assertThatThrownBy(() -> connect(port).getInputStream().read())
                .isInstanceOf(SocketException.class)
                .hasMessageContaining("reset");
    }

    /** Ended one way or the other: end of stream, or a reset; but not silently open. */
    private static void assertConnectionEnded(Socket socket) {
        int result;
        try {
            result = socket.getInputStream().read();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("connection still open after close()", e);
        } catch (IOException e) {
            return;
        }
        assertThat(result).as("read after close()").isEqualTo(-1);
    }

    private static List<Thread> proxyThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith(THREAD_PREFIX))
                .filter(Thread::isAlive)
                .toList();
    }

    /** Echoes every byte back on the same connection, and counts what it sees. */
    private static final class EchoServer implements AutoCloseable {
        private final ServerSocket server;
        private final Thread acceptor;
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();
        private final Set<Thread> handlers = ConcurrentHashMap.newKeySet();
        private final AtomicInteger accepted = new AtomicInteger();
        private final AtomicInteger endedByReset = new AtomicInteger();
        private final AtomicLong received = new AtomicLong();

        EchoServer() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            acceptor = new Thread(this::acceptLoop, "echo-server-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        int accepted() {
            return accepted.get();
        }

        int open() {
            return open.size();
        }

        int endedByReset() {
            return endedByReset.get();
        }

        long received() {
            return received.get();
        }

        /** Sends bytes unasked on every open connection, to test the server-to-client direction. */
        void pushToAll(byte[] bytes) throws IOException {
            for (Socket socket : open) {
                socket.getOutputStream().write(bytes);
            }
        }

        private void acceptLoop() {
            int id = 0;
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    accepted.incrementAndGet();
                    open.add(socket);
                    Thread handler = new Thread(() -> echo(socket), "echo-server-" + ++id);
                    handler.setDaemon(true);
                    handlers.add(handler);
                    handler.start();
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private void echo(Socket socket) {
            byte[] chunk = new byte[8192];
            try (socket) {
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                int count;
                while ((count = in.read(chunk)) >= 0) {
                    received.addAndGet(count);
                    out.write(chunk, 0, count);
                }
            } catch (SocketException e) {
                if (String.valueOf(e.getMessage()).contains("reset")) {
                    endedByReset.incrementAndGet();
                }
            } catch (IOException e) {
                // Any other failure just ends this connection.
            } finally {
                open.remove(socket);
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket socket : open) {
                socket.close();
            }
            try {
                acceptor.join(AWAIT.toMillis());
                for (Thread handler : handlers) {
                    handler.join(AWAIT.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertThat(acceptor.isAlive()).as("echo server acceptor alive").isFalse();
        }
    }
}
