package org.pgha.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Application threads for a failover test: each runs one operation of the application (a
 * service call, a transaction, a request) over and over, until stopped. What a test wants to
 * know afterwards is kept: how many times each operation succeeded, the slowest one, and every
 * exception the application would have seen. A thread whose operation throws stops there, so
 * an error is never hidden behind later successes.
 *
 * <pre>{@code
 * Ledger ledger = new Ledger("admission");
 * try (Workload load = Workload.builder()
 *         .operation("admit", 2, () -> {
 *             long id = ledger.newId();
 *             admissions.admit(id, ...);           // your code
 *             ledger.acknowledged(id);
 *         })
 *         .operation("read chart", 2, () -> charts.chart(anyPatient()))
 *         .start()) {
 *     load.awaitProgress(50, Duration.ofSeconds(60));   // every operation 50 more times
 *     cluster.crash(cluster.primary());
 *     cluster.failOver(cluster.synchronousStandby().orElseThrow());
 *     load.awaitProgress(50, Duration.ofSeconds(60));   // and again on the new primary
 *     load.stop(Duration.ofSeconds(60));
 *     assertThat(load.errors()).isEmpty();
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} interrupts the threads; {@link #stop} lets each finish the
 * operation it is in.
 */
public final class Workload implements AutoCloseable {

    /** One run of an application operation; anything it throws counts as an error. */
    @FunctionalInterface
    public interface Operation {
        void run() throws Exception;
    }

    /** Collects the operations, then starts their threads. */
    public static final class Builder {
        private final Map<String, Integer> threads = new LinkedHashMap<>();
        private final Map<String, Operation> operations = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Adds an operation, run by {@code threads} threads.
         *
         * @throws IllegalArgumentException if the name is null or used already, {@code threads} is
         *     below 1, or the operation is null
         */
        public Builder operation(String name, int threads, Operation operation) {
            if (name == null || this.operations.containsKey(name)) {
                throw new IllegalArgumentException("each operation needs a name of its own, not " + name);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("an operation needs at least 1 thread, not " + threads);
            }
            if (operation == null) {
                throw new IllegalArgumentException("operation must not be null");
            }
            this.threads.put(name, threads);
            this.operations.put(name, operation);
            return this;
        }

        /**
         * Starts every operation's threads.
         *
         * @throws IllegalStateException if no operation was added
         */
        public Workload start() {
            if (operations.isEmpty()) {
                throw new IllegalStateException("a workload needs at least one operation");
            }
            return new Workload(threads, operations);
        }
    }

    /** An exception an operation threw, with the operation's name. */
    public record Error(String operation, Throwable exception) {
        @Override
        public String toString() {
            return operation + ": " + exception;
        }
    }

    private final Map<String, AtomicLong> done = new LinkedHashMap<>();
    private final AtomicLong slowestNanos = new AtomicLong();
    private final List<Error> errors = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ExecutorService pool;
    private final List<Future<?>> tasks = new ArrayList<>();

    private Workload(Map<String, Integer> threads, Map<String, Operation> operations) {
        int total = threads.values().stream().mapToInt(Integer::intValue).sum();
        pool = Executors.newFixedThreadPool(total, r -> {
            Thread t = new Thread(r, "workload");
            t.setDaemon(true);
            return t;
        });
        operations.forEach((name, operation) -> {
            AtomicLong count = new AtomicLong();
            done.put(name, count);
            for (int i = 0; i < threads.get(name); i++) {
                tasks.add(pool.submit(() -> loop(name, operation, count)));
            }
        });
    }

    /** A workload with no operation yet. */
    public static Builder builder() {
        return new Builder();
    }

    private void loop(String name, Operation operation, AtomicLong count) {
        while (running.get()) {
            long started = System.nanoTime();
            try {
                operation.run();
            } catch (Throwable t) {
                if (running.get() || !(t instanceof InterruptedException)) {
                    errors.add(new Error(name, t));
                }
                return;
            }
            slowestNanos.accumulateAndGet(System.nanoTime() - started, Math::max);
            count.incrementAndGet();
        }
    }

    /**
     * Waits until every operation has succeeded {@code more} more times than when called.
     *
     * @throws AssertionError naming the operations that did not, if {@code within} passes first,
     *     or at once with the first error if an operation threw
     */
    public void awaitProgress(long more, Duration within) throws InterruptedException {
        Map<String, Long> target = new LinkedHashMap<>();
        done.forEach((name, count) -> target.put(name, count.get() + more));
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            if (!errors.isEmpty()) {
                AssertionError failure = new AssertionError("an operation failed: " + errors.get(0));
                failure.initCause(errors.get(0).exception());
                throw failure;
            }
            List<String> behind = new ArrayList<>();
            target.forEach((name, goal) -> {
                if (done.get(name).get() < goal) {
                    behind.add(name + " " + done.get(name).get() + "/" + goal);
                }
            });
            if (behind.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("no progress within " + within + ": " + behind);
            }
            Thread.sleep(10);
        }
    }

    /**
     * Stops the threads after the operation each is in, waiting up to {@code within}.
     *
     * @throws TimeoutException if a thread is still in its operation then
     */
    public void stop(Duration within) throws InterruptedException, TimeoutException {
        running.set(false);
        pool.shutdown();
        if (!pool.awaitTermination(within.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new TimeoutException("an operation did not return within " + within + " after the workload was stopped");
        }
    }

    /** How many times the operation succeeded so far. */
    public long completed(String operation) {
        AtomicLong count = done.get(operation);
        if (count == null) {
            throw new IllegalArgumentException("no operation " + operation + "; there are " + done.keySet());
        }
        return count.get();
    }

    /** The longest successful run of any operation so far. */
    public Duration slowest() {
        return Duration.ofNanos(slowestNanos.get());
    }

    /** Every exception an operation threw, in order. */
    public List<Error> errors() {
        return List.copyOf(errors);
    }

    /** Interrupts the threads, if {@link #stop} did not end them. */
    @Override
    public void close() {
        running.set(false);
        pool.shutdownNow();
    }
}
