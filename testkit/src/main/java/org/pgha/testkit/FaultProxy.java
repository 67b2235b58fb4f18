package org.pgha.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loopback TCP proxy that a test puts in front of one PostgreSQL node to inject network faults
 * (the part Toxiproxy would play, without an external process).
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>The proxy listens on {@code 127.0.0.1} only, on a free port chosen by {@link #start}; the port
 *       stays the same for the proxy's whole life, including after {@link #refuse()} is left.</li>
 *   <li>Each accepted client connection becomes a <em>link</em>: a connection to the target (made with a
 *       5 s connect timeout; if it fails, the client is reset) and one
 *       daemon pump thread per direction. When either side of a link reaches end of stream or fails, both
 *       sockets of the link are closed.</li>
 *   <li>The proxy injects one fault at a time, its {@link Mode}. The switching methods ({@link #pass()},
 *       {@link #latency(Duration)}, {@link #blackHole()}, {@link #reset()}, {@link #refuse()}) return only
 *       once the mode is in effect: every byte the proxy reads after the method returns obeys the new
 *       mode, links are already reset when {@code reset()} returns, and the port no longer listens when
 *       {@code refuse()} returns. A chunk read <em>before</em> the switch (for instance one being delayed
 *       by latency, or being written) may still be delivered.</li>
 *   <li>All methods may be called from any thread, also while links carry data; switches are
 *       serialized.</li>
 *   <li>{@link #close()} closes the listener and every link (clients see an orderly end of stream) and
 *       waits for every thread of the proxy to end. Threads are named
 *       {@code pgha-fault-proxy-<port>-...}, so a test can check that none is left behind.</li>
 * </ul>
 *
 * <h2>Hazards</h2>
 * <ul>
 *   <li>{@code REFUSE} really releases the port. Another socket on the machine may take it meanwhile;
 *       leaving {@code REFUSE} then fails with {@link UncheckedIOException} and the proxy stays in
 *       {@code REFUSE}. Connections the kernel had completed but the proxy had not yet accepted when
 *       {@code refuse()} closed the port are reset rather than refused.</li>
 *   <li>Bytes dropped in {@code BLACK_HOLE} are gone: a link that lived through a black hole and is then
 *       passed again carries a damaged stream, which a PostgreSQL client will usually fail on.</li>
 *   <li>Connections accepted during {@code BLACK_HOLE} are never connected to the target, not even after
 *       the mode is left: they swallow bytes until the client closes them, or {@link #reset()},
 *       {@link #cutExisting()} or {@link #close()} does.</li>
 *   <li>Latency is applied to each chunk in turn, so it also throttles throughput (one chunk per delay
 *       and direction): fine for test traffic, not for bulk loads.</li>
 *   <li>Two threads per connection: meant for the handful of connections of a test, not for load.</li>
 * </ul>
 */
public final class FaultProxy implements AutoCloseable {

    /** The fault the proxy injects; see the switching methods of {@link FaultProxy} for details. */
    public enum Mode {
        /** Forward bytes both ways unchanged. */
        PASS,
        /** Forward bytes both ways, each chunk delayed by at least the configured latency. */
        LATENCY,
        /** Read and drop the bytes of either side; accept new connections without reaching the target. */
        BLACK_HOLE,
        /** Reset the connections present on entry, and accept then reset every new connection at once. */
        RESET,
        /** Do not listen, so new connections are refused; existing connections keep forwarding. */
        REFUSE
    }

    private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);

    private static final String LOOPBACK_HOST = "127.0.0.1";
    private static final InetAddress LOOPBACK = loopbackAddress();
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int BACKLOG = 50;
    private static final int CHUNK_BYTES = 16 * 1024;
    /** Pause after an unexpected accept failure (e.g. out of file descriptors) so the acceptor does not spin. */
    private static final long ACCEPT_RETRY_MILLIS = 50;
    private static final Duration THREAD_STOP_TIMEOUT = Duration.ofSeconds(10);

    private final InetSocketAddress target;
    private final int port;
    private final String threadPrefix;

    /**
     * Serializes mode switches and {@link #close()}. It is distinct from {@link #lock} because
     * {@code refuse()} waits for the acceptor thread to end, and that thread may need {@code lock} to
     * finish handing over a connection it has just accepted.
     */
    private final Object switchLock = new Object();
    /** Guards the listener, {@code closed}, thread start and link registration against mode changes. */
    private final Object lock = new Object();

    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicLong linkIds = new AtomicLong();

    /** Read by pump threads on every chunk, written under {@link #lock}. */
    private volatile Mode mode = Mode.PASS;
    /** Only meaningful while {@link #mode} is LATENCY; written before the mode so pumps never see a stale value. */
    private volatile long latencyNanos;

    private ServerSocket listener; // guarded by lock; null while refusing and once closed
    private Thread acceptor; // guarded by lock
    private boolean closed; // guarded by lock

    private FaultProxy(InetSocketAddress target, int port) {
        this.target = target;
        this.port = port;
        this.threadPrefix = "pgha-fault-proxy-" + port + "-";
    }

    /**
     * Starts a proxy in {@link Mode#PASS} that listens on a free port of {@code 127.0.0.1} and forwards
     * to {@code targetHost:targetPort}.
     *
     * @param targetHost host name or address of the node to put the proxy in front of
     * @param targetPort its port, 1 to 65535
     * @return the running proxy; close it when done
     * @throws IllegalArgumentException if the host cannot be resolved or the port is out of range
     * @throws UncheckedIOException if no listening socket can be opened
     */
    public static FaultProxy start(String targetHost, int targetPort) {
        Objects.requireNonNull(targetHost, "targetHost");
        if (targetPort < 1 || targetPort > 65_535) {
            throw new IllegalArgumentException("target port must be 1 to 65535, got " + targetPort);
        }
        return start(new InetSocketAddress(targetHost, targetPort));
    }

    /**
     * Starts a proxy in {@link Mode#PASS} that listens on a free port of {@code 127.0.0.1} and forwards
     * to {@code target}.
     *
     * @param target the resolved address of the node to put the proxy in front of
     * @return the running proxy; close it when done
     * @throws IllegalArgumentException if the address is unresolved
     * @throws UncheckedIOException if no listening socket can be opened
     */
    public static FaultProxy start(InetSocketAddress target) {
        Objects.requireNonNull(target, "target");
        if (target.isUnresolved()) {
            throw new IllegalArgumentException("target address is unresolved: " + target);
        }
        ServerSocket first = bind(new InetSocketAddress(LOOPBACK, 0));
        FaultProxy proxy = new FaultProxy(target, first.getLocalPort());
        synchronized (proxy.lock) {
            proxy.listenOn(first);
        }
        log.debug("{} started", proxy);
        return proxy;
    }

    /**
     * The host clients connect to.
     *
     * @return always {@code "127.0.0.1"}
     */
    public String host() {
        return LOOPBACK_HOST;
    }

    /**
     * The port clients connect to; it does not change for the life of the proxy.
     *
     * @return the listening port
     */
    public int port() {
        return port;
    }

    /**
     * The fault currently in effect.
     *
     * @return the current mode
     */
    public Mode mode() {
        return mode;
    }

    /**
     * The number of client connections the proxy currently holds open, including those still connecting
     * to the target and those swallowed by a black hole. A connection closed by its peer leaves this count
     * shortly after, once its pump thread notices.
     *
     * @return the number of open client connections
     */
    public int openConnections() {
        return links.size();
    }

    /**
     * Forwards bytes both ways, without delay. Existing connections resume forwarding (see the class
     * hazards about black holes).
     *
     * @throws IllegalStateException if the proxy is closed
     * @throws UncheckedIOException if leaving {@link Mode#REFUSE} cannot listen on the port again
     */
    public void pass() {
        switchTo(Mode.PASS);
    }

    /**
     * Forwards bytes both ways, delaying every chunk read from either side by at least {@code delay}
     * before writing it on. A round trip through the proxy therefore takes at least twice the delay.
     *
     * @param delay the delay per chunk, zero or positive
     * @throws IllegalArgumentException if {@code delay} is null or negative
     * @throws IllegalStateException if the proxy is closed
     * @throws UncheckedIOException if leaving {@link Mode#REFUSE} cannot listen on the port again
     */
    public void latency(Duration delay) {
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("latency must be a non-negative duration, got " + delay);
        }
        synchronized (switchLock) {
            latencyNanos = saturatedNanos(delay);
            switchTo(Mode.LATENCY);
        }
    }

    /**
     * Models a hung host or dropped packets while sockets stay open: on existing connections the bytes of
     * either side are read and dropped, new connections are accepted but never connected to the target,
     * and nothing is ever answered.
     *
     * @throws IllegalStateException if the proxy is closed
     * @throws UncheckedIOException if leaving {@link Mode#REFUSE} cannot listen on the port again
     */
    public void blackHole() {
        switchTo(Mode.BLACK_HOLE);
    }

    /**
     * Resets (TCP RST) every existing connection, on both the client and the target side, and from now
     * on accepts and resets every new connection at once. Returns once the existing connections are
     * reset.
     *
     * @throws IllegalStateException if the proxy is closed
     * @throws UncheckedIOException if leaving {@link Mode#REFUSE} cannot listen on the port again
     */
    public void reset() {
        switchTo(Mode.RESET);
    }

    /**
     * Stops listening, so that new connections get "connection refused", while existing connections
     * keep forwarding. Returns once the port no longer listens. Any other mode listens on the same port
     * again (see the class hazards).
     *
     * @throws IllegalStateException if the proxy is closed
     */
    public void refuse() {
        switchTo(Mode.REFUSE);
    }

    /**
     * Resets (TCP RST) every current connection, on both sides, without changing the mode: connections
     * opened afterwards behave as the mode says.
     *
     * @throws IllegalStateException if the proxy is closed
     */
    public void cutExisting() {
        synchronized (switchLock) {
            synchronized (lock) {
                ensureOpen();
                int count = resetLinks();
                log.debug("{}: cut {} existing connection(s)", this, count);
            }
        }
    }

    /**
     * Closes the listener and every connection, then waits (up to {@code 10 s}) for every thread of the
     * proxy to end; a thread still alive then is logged as a warning. Idempotent: later calls do nothing.
     * After this, the switching methods throw {@link IllegalStateException}.
     */
    @Override
    public void close() {
        synchronized (switchLock) {
            List<Thread> toStop;
            synchronized (lock) {
                if (closed) {
                    return;
                }
                // Set first: from here on no thread can be started, so the snapshot below is complete.
                closed = true;
                closeQuietly(listener);
                listener = null;
                acceptor = null;
                List.copyOf(links).forEach(Link::close);
                toStop = List.copyOf(threads);
            }
            // Closed sockets wake the threads blocked in I/O; the interrupt wakes those sleeping out a latency.
            toStop.forEach(Thread::interrupt);
            awaitTermination(toStop);
            log.debug("{} closed", this);
        }
    }

    @Override
    public String toString() {
        return "FaultProxy[" + LOOPBACK_HOST + ":" + port + " -> " + target + ", " + mode + "]";
    }

    private void switchTo(Mode next) {
        synchronized (switchLock) {
            Thread stoppedAcceptor = null;
            synchronized (lock) {
                ensureOpen();
                if (next == Mode.REFUSE) {
                    stoppedAcceptor = stopListening();
                } else if (listener == null) {
                    // Bind before changing the mode, so a failed bind leaves the proxy consistently refusing.
                    listenOn(bind(new InetSocketAddress(LOOPBACK, port)));
                }
                Mode previous = mode;
                mode = next;
                if (next == Mode.RESET) {
                    // Under the lock: the acceptor registers links under it too, so none slips past both
                    // this reset and its own check of the mode.
                    resetLinks();
                }
                log.debug("{}: mode {} -> {}", this, previous, next);
            }
            if (stoppedAcceptor != null) {
                // The socket is only truly released once the thread blocked in accept() has returned.
                awaitTermination(List.of(stoppedAcceptor));
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    /** Caller holds {@link #lock}. */
    private void listenOn(ServerSocket server) {
        listener = server;
        acceptor = startThread("acceptor", () -> acceptLoop(server));
    }

    /** Caller holds {@link #lock}. Returns the acceptor thread to wait for, if there was one. */
    private Thread stopListening() {
        Thread stopped = acceptor;
        closeQuietly(listener);
        listener = null;
        acceptor = null;
        return stopped;
    }

    private static ServerSocket bind(InetSocketAddress address) {
        ServerSocket server = null;
        try {
            server = new ServerSocket();
            // Needed to listen again on the port while links accepted by the previous listener still use it.
            server.setReuseAddress(true);
            server.bind(address, BACKLOG);
            return server;
        } catch (IOException e) {
            closeQuietly(server);
            throw new UncheckedIOException("cannot listen on " + address, e);
        }
    }

    private void acceptLoop(ServerSocket server) {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (server.isClosed()) {
                    return; // refuse() or close(): the expected way out
                }
                log.warn("{}: accept failed, retrying: {}", this, e.toString());
                if (!pause(ACCEPT_RETRY_MILLIS)) {
                    return;
                }
                continue;
            }
            onAccept(client);
        }
    }

    private void onAccept(Socket client) {
        synchronized (lock) {
            if (closed) {
                closeQuietly(client);
                return;
            }
            Mode current = mode;
            if (current == Mode.RESET) {
                log.debug("{}: resetting new connection from {}", this, client.getRemoteSocketAddress());
                resetQuietly(client);
                return;
            }
            // A connection accepted just before refuse() took effect is treated as an existing one: forwarded.
            Socket upstream = current == Mode.BLACK_HOLE ? null : new Socket();
            Link link = new Link(linkIds.incrementAndGet(), client, upstream);
            links.add(link);
            log.debug("{}: link {} accepted from {}{}", this, link.id, client.getRemoteSocketAddress(),
                    upstream == null ? " into the black hole" : "");
            link.start();
        }
    }

    /** Caller holds {@link #lock}. */
    private int resetLinks() {
        List<Link> current = List.copyOf(links);
        current.forEach(Link::reset);
        return current.size();
    }

    /**
     * Starts a daemon thread of this proxy, unless the proxy is closed (then returns null), and tracks it
     * until it ends so that {@link #close()} can wait for it.
     */
    private Thread startThread(String role, Runnable body) {
        synchronized (lock) {
            if (closed) {
                return null;
            }
            Thread thread = new Thread(() -> {
                try {
                    body.run();
                } finally {
                    threads.remove(Thread.currentThread());
                }
            }, threadPrefix + role);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
            return thread;
        }
    }

    private void awaitTermination(Collection<Thread> toStop) {
        long deadline = System.nanoTime() + THREAD_STOP_TIMEOUT.toNanos();
        boolean interrupted = false;
        for (Thread thread : toStop) {
            long left;
            while (thread.isAlive() && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedJoin(thread, left);
                } catch (InterruptedException e) {
                    // Keep waiting (the wait is bounded) so the caller's guarantee holds; re-assert below.
                    interrupted = true;
                }
            }
            if (thread.isAlive()) {
                log.warn("{}: thread {} did not stop within {}", this, thread.getName(), THREAD_STOP_TIMEOUT);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sleeps; returns false if interrupted (only {@link #close()} interrupts the proxy's threads). */
    private static boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static long saturatedNanos(Duration delay) {
        try {
            return delay.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static void sleepUntil(long deadlineNanos) throws InterruptedException {
        long left;
        // Loop because a sleep may end early; the contract is a delay of *at least* the latency.
        while ((left = deadlineNanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    /** SO_LINGER 0 makes close() send RST instead of FIN, which is what a reset means. */
    private static void lingerZero(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException e) {
            // Already closed: nothing left to reset.
        }
    }

    private static void resetQuietly(Socket socket) {
        lingerZero(socket);
        closeQuietly(socket);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            log.debug("ignored failure closing {}: {}", closeable, e.toString());
        }
    }

    private static InetAddress loopbackAddress() {
        try {
            // Explicitly IPv4: InetAddress.getLoopbackAddress() may answer ::1 depending on system properties.
            return InetAddress.getByAddress(LOOPBACK_HOST, new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e); // cannot happen: the address has the IPv4 length
        }
    }

    /** One client connection and, unless it was accepted into a black hole, its connection to the target. */
    private final class Link {
        private final long id;
        private final Socket client;
        /** Null for a connection accepted during BLACK_HOLE: it only ever swallows the client's bytes. */
        private final Socket upstream;
        private final AtomicBoolean closed = new AtomicBoolean();

        Link(long id, Socket client, Socket upstream) {
            this.id = id;
            this.client = client;
            this.upstream = upstream;
        }

        /** Caller holds the proxy's lock, and the proxy is open, so the thread does start. */
        void start() {
            if (upstream == null) {
                startThread("link-" + id + "-sink", () -> pump(client, null, "sink"));
            } else {
                startThread("link-" + id + "-up", this::connectAndPump);
            }
        }

        /** Connects in the link's own thread so a slow target never holds up the acceptor. */
        private void connectAndPump() {
            try {
                setNoDelay(client);
                setNoDelay(upstream);
                upstream.connect(target, CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                log.debug("{}: link {} cannot reach the target, resetting the client: {}", FaultProxy.this, id,
                        e.toString());
                reset();
                return;
            }
            if (startThread("link-" + id + "-down", () -> pump(upstream, client, "down")) == null) {
                close(); // the proxy closed meanwhile
                return;
            }
            pump(client, upstream, "up");
        }

        /** Copies chunks from one socket to the other (or nowhere, for a sink) until either side ends. */
        private void pump(Socket from, Socket to, String direction) {
            byte[] chunk = new byte[CHUNK_BYTES];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to == null ? null : to.getOutputStream();
                int count;
                while ((count = in.read(chunk)) >= 0) {
                    long readAt = System.nanoTime();
                    if (out != null && deliverable(readAt)) {
                        out.write(chunk, 0, count);
                    }
                }
                log.debug("{}: link {} {}: end of stream", FaultProxy.this, id, direction);
            } catch (IOException e) {
                log.debug("{}: link {} {}: {}", FaultProxy.this, id, direction, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // close() is under way; just end
            } finally {
                close();
            }
        }

        /** Applies the mode to a chunk just read: waits out any latency, then tells whether to deliver it. */
        private boolean deliverable(long readAt) throws InterruptedException {
            if (mode == Mode.LATENCY) {
                sleepUntil(readAt + latencyNanos);
            }
            // Read the mode again: a black hole that began during the delay swallows the chunk too.
            return mode != Mode.BLACK_HOLE;
        }

        /** Sets SO_LINGER 0 on both sockets before closing, so both peers get RST rather than FIN. */
        void reset() {
            lingerZero(client);
            if (upstream != null) {
                lingerZero(upstream);
            }
            log.debug("{}: link {} reset", FaultProxy.this, id);
            close();
        }

        /** Closes both sockets once; the pump threads then fail on their next I/O and end. */
        void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            links.remove(this);
            closeQuietly(client);
            closeQuietly(upstream);
            log.debug("{}: link {} closed", FaultProxy.this, id);
        }

        private void setNoDelay(Socket socket) throws IOException {
            // A proxy must not add Nagle delays of its own on top of the injected faults.
            socket.setTcpNoDelay(true);
        }
    }
}
