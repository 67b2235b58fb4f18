package org.pgha.bench.marathon;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.pgha.driver.PghaConnection;
import org.pgha.testkit.Ledger;
import org.pgha.testkit.LedgerReport;
import org.pgha.testkit.StalenessChecker;
import org.pgha.testkit.StalenessReport;

/**
 * The marathon's application: threads that run a mixed workload through two DataSources (pgha's
 * pool with {@code exactlyOnceAutocommit=true}, and HikariCP over pgha's driver with the
 * defaults) and record what they were told in a {@link Ledger} and a {@link StalenessChecker}.
 *
 * <p>Every writing thread owns its keys in {@value #KV}, so the checker's one-writer-per-key rule
 * holds. The load runs in rounds: between two rounds it is paused (each thread finishes the
 * operation it is in), the round is verified, and the next round gets a ledger table of its own,
 * so that a fault's outcome is judged on its own and memory stays flat however long the run.
 */
final class MarathonLoad implements AutoCloseable {

    static final String KV = "marathon_kv";
    private static final int KEYS_PER_WRITER = 4;
    private static final String READ_SQL = "SELECT seq FROM " + KV + " WHERE key = ?";
    private static final String WRITE_SQL = "UPDATE " + KV + " SET seq = ? WHERE key = ?";
    private static final int EXAMPLES = 5;

    /**
     * What the application does (the worker's {@code run} says through which DataSource; see the
     * table in docs/benchmarks.md), and which SQLStates the guarantees let it see.
     */
    enum Operation {
        AUTOCOMMIT_EXACTLY_ONCE(false, "08007"),
        AUTOCOMMIT(false, "08007"),
        TRANSACTION(true, "40R01", "08007"),
        TRANSACTION_DRIVER(true, "40R01", "08007"),
        READ_ONLY(false, "40R01"),
        READ_ONLY_DRIVER(false, "40R01"),
        READ_YOUR_WRITES(true, "08007"),
        CONSISTENCY_TOKEN(true, "08007");

        /** Whether its threads write keys of their own (the checker's one writer per key). */
        final boolean ownsKeys;
        /**
         * What docs/guarantees.md lets this operation see in a failover: {@code 08007} for an
         * autocommit write whose outcome is unknown (with exactly-once, only when it cannot be found
         * out), {@code 40R01} for a transaction whose replay saw other results.
         */
        final Set<String> documented;

        Operation(boolean ownsKeys, String... documented) {
            this.ownsKeys = ownsKeys;
            this.documented = Set.of(documented);
        }

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** What one round recorded. Thread-safe. */
    static final class Round {
        final Ledger ledger;
        final Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        final ConcurrentLinkedQueue<Long> writes = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Long> reads = new ConcurrentLinkedQueue<>();
        final ConcurrentHashMap<String, LongAdder> documented = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, LongAdder> undocumented = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<String> examples = new ConcurrentLinkedQueue<>();
        final AtomicInteger exampleCount = new AtomicInteger();
        final ConcurrentLinkedQueue<String> documentedExamples = new ConcurrentLinkedQueue<>();
        final AtomicInteger documentedCount = new AtomicInteger();

        Round(Ledger ledger) {
            this.ledger = ledger;
        }

        void failed(Operation op, Throwable e) {
            String state = e instanceof SQLException s ? String.valueOf(s.getSQLState()) : e.getClass().getSimpleName();
            String key = op.label() + " " + state;
            if (op.documented.contains(state)) {
                documented.computeIfAbsent(key, k -> new LongAdder()).increment();
                if (documentedCount.getAndIncrement() < EXAMPLES) {
                    documentedExamples.add(key + ": " + e.getMessage());
                }
            } else {
                undocumented.computeIfAbsent(key, k -> new LongAdder()).increment();
                if (exampleCount.getAndIncrement() < EXAMPLES) {
                    StringWriter trace = new StringWriter();
                    e.printStackTrace(new PrintWriter(trace));
                    examples.add(op.label() + ": " + trace);
                }
            }
        }

        static Map<String, Long> counts(Map<String, LongAdder> adders) {
            Map<String, Long> counts = new TreeMap<>();
            adders.forEach((k, v) -> counts.put(k, v.sum()));
            return counts;
        }
    }

    /**
     * What the verification of a round found on the primary.
     *
     * @param ledger the round's ledger against its table
     * @param keysBehind keys whose value on the primary is older than a write acknowledged on them
     * @param staleness the reads of the round against the bound and their sessions' writes
     */
    record Verification(LedgerReport ledger, List<String> keysBehind, StalenessReport staleness) {
    }

    private final DataSource pool;
    private final DataSource driver;
    /** Node names by the port of the proxy the application reaches them through. */
    private final Map<Integer, String> nodeByPort;
    private final Duration maxReplicaLag;
    private final Duration think;
    private final StalenessChecker checker = new StalenessChecker();
    private final ConcurrentHashMap<Long, Long> lastAcknowledged = new ConcurrentHashMap<>();
    private final List<Long> keys = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    private final Object gate = new Object();
    private boolean open;
    private boolean stopped;
    private Round round;
    private final Set<Thread> busy = new HashSet<>();

    MarathonLoad(DataSource pool, DataSource driver, Map<Integer, String> nodeByPort, Duration maxReplicaLag,
            int threadsPerOperation, Duration think) {
        this.pool = pool;
        this.driver = driver;
        this.nodeByPort = Map.copyOf(nodeByPort);
        this.maxReplicaLag = maxReplicaLag;
        this.think = think;
        int writer = 0;
        List<Worker> workers = new ArrayList<>();
        for (Operation op : Operation.values()) {
            for (int i = 1; i <= threadsPerOperation; i++) {
                long[] owned = new long[op.ownsKeys ? KEYS_PER_WRITER : 0];
                for (int k = 0; k < owned.length; k++) {
                    owned[k] = (writer + 1) * 1_000L + k;
                    keys.add(owned[k]);
                }
                if (op.ownsKeys) {
                    writer++;
                }
                workers.add(new Worker(op, op.label() + "-" + i, owned));
            }
        }
        for (Worker w : workers) {
            Thread t = new Thread(w::loop, "marathon-" + w.session);
            t.setDaemon(true);
            threads.add(t);
        }
    }

    /** Creates the key table on the primary (before {@link #start()}). */
    void createTables(Connection primary) throws SQLException {
        try (Statement st = primary.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + KV);
            st.execute("CREATE TABLE " + KV + " (key bigint PRIMARY KEY, seq bigint NOT NULL)");
            st.execute("INSERT INTO " + KV + " SELECT k, 0 FROM unnest(ARRAY[" + keys.stream().map(String::valueOf)
                    .collect(Collectors.joining(",")) + "]::bigint[]) AS k");
        }
    }

    void start() {
        threads.forEach(Thread::start);
    }

    int threadCount() {
        return threads.size();
    }

    /** Lets the threads run, recording into {@code next}. */
    void resume(Round next) {
        synchronized (gate) {
            round = next;
            open = true;
            gate.notifyAll();
        }
    }

    /**
     * Stops the threads at the end of the operation each is in.
     *
     * @return the threads still in an operation after {@code timeout}, with where they are
     */
    List<String> pause(Duration timeout) throws InterruptedException {
        synchronized (gate) {
            open = false;
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!busy.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return describe(busy);
                }
                gate.wait(Math.max(1, left / 1_000_000));
            }
            return List.of();
        }
    }

    /**
     * Ends the threads: each finishes the operation it is in.
     *
     * @return the threads that did not end within {@code timeout}, with where they are
     */
    List<String> stop(Duration timeout) throws InterruptedException {
        synchronized (gate) {
            stopped = true;
            gate.notifyAll();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Thread> alive = new ArrayList<>();
        for (Thread t : threads) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            if (t.isAlive()) {
                alive.add(t);
            }
        }
        return describe(alive);
    }

    private static List<String> describe(Collection<Thread> stuck) {
        return stuck.stream().map(t -> t.getName() + " at " + Arrays.stream(t.getStackTrace()).limit(12)
                .map(String::valueOf).collect(Collectors.joining(" < "))).toList();
    }

    /** Checks a paused round on the primary. */
    Verification verify(Round r, Connection primary) throws SQLException {
        LedgerReport ledger = r.ledger.verify(primary);
        List<String> behind = new ArrayList<>();
        try (Statement st = primary.createStatement(); ResultSet rs = st.executeQuery("SELECT key, seq FROM " + KV)) {
            Map<Long, Long> values = new LinkedHashMap<>();
            while (rs.next()) {
                values.put(rs.getLong(1), rs.getLong(2));
            }
            lastAcknowledged.forEach((key, seq) -> {
                long value = values.getOrDefault(key, -1L);
                if (value < seq) {
                    behind.add("key " + key + " holds " + value + ", " + seq + " was acknowledged");
                }
            });
        }
        return new Verification(ledger, behind, checker.reportAndForget(maxReplicaLag));
    }

    @Override
    public void close() {
        synchronized (gate) {
            stopped = true;
            gate.notifyAll();
        }
        threads.forEach(Thread::interrupt);
    }

    private Round awaitTurn() {
        synchronized (gate) {
            while (!open && !stopped) {
                try {
                    gate.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
            if (stopped) {
                return null;
            }
            busy.add(Thread.currentThread());
            return round;
        }
    }

    private void leaveTurn() {
        synchronized (gate) {
            busy.remove(Thread.currentThread());
            if (busy.isEmpty()) {
                gate.notifyAll();
            }
        }
    }

    /** The node behind a proxy address, {@code host:port}. */
    private String node(String address) {
        if (address == null) {
            return null;
        }
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        return nodeByPort.getOrDefault(port, address);
    }

    /** One application thread. */
    private final class Worker {
        final Operation op;
        final String session;
        final long[] owned;
        final long[] sequences;

        Worker(Operation op, String session, long[] owned) {
            this.op = op;
            this.session = session;
            this.owned = owned;
            this.sequences = new long[owned.length];
        }

        void loop() {
            while (true) {
                Round r = awaitTurn();
                if (r == null) {
                    return;
                }
                try {
                    run(r);
                } catch (Exception e) {
                    r.failed(op, e);
                } finally {
                    leaveTurn();
                }
                try {
                    Thread.sleep(think.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void run(Round r) throws SQLException {
            switch (op) {
                case AUTOCOMMIT_EXACTLY_ONCE -> autocommitWrite(r, pool);
                case AUTOCOMMIT -> autocommitWrite(r, driver);
                case TRANSACTION -> transaction(r, pool);
                case TRANSACTION_DRIVER -> transaction(r, driver);
                case READ_ONLY -> readOnly(r, pool);
                case READ_ONLY_DRIVER -> readOnly(r, driver);
                case READ_YOUR_WRITES -> readYourWrites(r);
                case CONSISTENCY_TOKEN -> consistencyToken(r);
                default -> throw new IllegalStateException(op.toString());
            }
        }

        private void autocommitWrite(Round r, DataSource ds) throws SQLException {
            long id = r.ledger.newId();
            boolean acknowledged = false;
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(r.ledger.insertSql())) {
                ps.setLong(1, id);
                ps.setString(2, session);
                ps.executeUpdate();
                acknowledged(r, id);
                acknowledged = true;
            } catch (SQLException | RuntimeException e) {
                if (!acknowledged) {
                    r.ledger.unknown(id);
                }
                throw e;
            }
        }

        private void transaction(Round r, DataSource ds) throws SQLException {
            long id = r.ledger.newId();
            int k = ThreadLocalRandom.current().nextInt(owned.length);
            long seq = ++sequences[k];
            boolean committed = false;
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                read(c, owned[k]);
                try (PreparedStatement ps = c.prepareStatement(r.ledger.insertSql())) {
                    ps.setLong(1, id);
                    ps.setString(2, session);
                    ps.executeUpdate();
                }
                write(c, owned[k], seq);
                c.commit();
                committed = true;
                acknowledged(r, id);
                keyAcknowledged(r, owned[k], seq);
            } catch (SQLException | RuntimeException e) {
                if (!committed) {
                    if (e instanceof SQLException s && "40R01".equals(s.getSQLState())) {
                        r.ledger.failed(id); // pgha: nothing of it was committed; the ledger checks that
                    } else {
                        r.ledger.unknown(id);
                    }
                }
                throw e;
            }
        }

        private void readOnly(Round r, DataSource ds) throws SQLException {
            try (Connection c = ds.getConnection()) {
                c.setReadOnly(true);
                c.setAutoCommit(false);
                for (int i = 0; i < 2; i++) {
                    read(c, keys.get(ThreadLocalRandom.current().nextInt(keys.size())));
                }
                c.commit();
            }
            r.reads.add(System.nanoTime());
        }

        private void readYourWrites(Round r) throws SQLException {
            int k = ThreadLocalRandom.current().nextInt(owned.length);
            long seq = ++sequences[k];
            try (Connection c = pool.getConnection()) {
                write(c, owned[k], seq);
                keyAcknowledged(r, owned[k], seq);
                c.setReadOnly(true);
                read(c, owned[k]);
            }
            r.reads.add(System.nanoTime());
        }

        private void consistencyToken(Round r) throws SQLException {
            int k = ThreadLocalRandom.current().nextInt(owned.length);
            long seq = ++sequences[k];
            String token;
            try (Connection c = pool.getConnection()) {
                write(c, owned[k], seq);
                keyAcknowledged(r, owned[k], seq);
                token = c.unwrap(PghaConnection.class).consistencyToken();
            }
            try (Connection c = driver.getConnection()) {
                c.unwrap(PghaConnection.class).setConsistencyToken(token);
                c.setReadOnly(true);
                read(c, owned[k]);
            }
            r.reads.add(System.nanoTime());
        }

        private void read(Connection c, long key) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(READ_SQL)) {
                ps.setLong(1, key);
                long started = checker.now();
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("key " + key + " is missing from " + KV);
                    }
                    // Not inet_server_port() in the query: a replayed transaction would read another
                    // value there, and rightly refuse to go on.
                    checker.readCompleted(started, key, rs.getLong(1), session,
                            node(c.unwrap(PghaConnection.class).currentNode()));
                }
            }
        }

        private void write(Connection c, long key, long seq) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(WRITE_SQL)) {
                ps.setLong(1, seq);
                ps.setLong(2, key);
                int rows = ps.executeUpdate();
                if (rows != 1) {
                    throw new IllegalStateException("the write of key " + key + " changed " + rows + " rows");
                }
            }
        }

        private void acknowledged(Round r, long id) {
            r.ledger.acknowledged(id);
            r.acknowledged.add(id);
            r.writes.add(System.nanoTime());
        }

        private void keyAcknowledged(Round r, long key, long seq) {
            checker.writeAcknowledged(key, seq, session);
            lastAcknowledged.put(key, seq);
            r.writes.add(System.nanoTime());
        }
    }
}
