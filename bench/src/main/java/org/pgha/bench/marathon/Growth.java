package org.pgha.bench.marathon;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The soak's allowance for growth, documented in docs/benchmarks.md: after the first rounds
 * (connections opened, classes loaded, the JIT's work), the process must hold no more at the end
 * than at the start, within a margin for what a collection leaves. Compared: the median of
 * rounds 3 to 5 against the median of the last three rounds.
 */
final class Growth {

    static final long HEAP_ALLOWANCE_BYTES = 32L << 20;
    static final long THREAD_ALLOWANCE = 4;
    static final long LOGICAL_CONNECTION_ALLOWANCE = Marathon.POOL_SIZE;
    /** Where the primary is moves the pools' connections from node to node: one pool's worth. */
    static final long SERVER_CONNECTION_ALLOWANCE = Marathon.POOL_SIZE;
    static final int MIN_SAMPLES = 8;

    private Growth() {
    }

    static List<String> check(List<Sample> samples) {
        List<String> problems = new ArrayList<>();
        if (samples.size() < MIN_SAMPLES) {
            problems.add("the soak took " + samples.size() + " samples; at least " + MIN_SAMPLES + " are needed to judge growth");
            return problems;
        }
        compare(samples, "heap after a full collection", Sample::heapBytes, HEAP_ALLOWANCE_BYTES, problems);
        compare(samples, "live threads", s -> s.threads(), THREAD_ALLOWANCE, problems);
        compare(samples, "live logical connections", Sample::logicalConnections, LOGICAL_CONNECTION_ALLOWANCE, problems);
        compare(samples, "server connections on the busiest node", s -> s.maxServerConnections(),
                SERVER_CONNECTION_ALLOWANCE, problems);
        return problems;
    }

    private static void compare(List<Sample> samples, String what, ToLongFunction<Sample> value, long allowance,
            List<String> problems) {
        long start = median(samples.subList(2, 5), value);
        long end = median(samples.subList(samples.size() - 3, samples.size()), value);
        if (end > start + allowance) {
            problems.add(what + " grew from " + start + " to " + end + " (allowed: " + allowance + " more)");
        }
    }

    private static long median(List<Sample> samples, ToLongFunction<Sample> value) {
        long[] values = samples.stream().mapToLong(value).sorted().toArray();
        return values[values.length / 2];
    }
}
