package org.pgha.driver.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

class ClusterAccessTest {

    /**
     * The routers' random numbers come from each thread's own generator: drawn from many threads
     * at once, they stay in range and spread evenly (a shared generator that is not safe for
     * concurrent use gives no such promise).
     */
    @Test
    void routingRandomNumbersAreSafeAcrossThreads() throws Exception {
        int buckets = 3;
        AtomicLongArray counts = new AtomicLongArray(buckets);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 30_000; i++) {
                        counts.incrementAndGet(ClusterAccess.THREAD_LOCAL_RANDOM.nextInt(buckets));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int b = 0; b < buckets; b++) {
            assertThat(counts.get(b)).as("bucket %d", b).isBetween(36_000L, 44_000L);
        }
        assertThat(ClusterAccess.THREAD_LOCAL_RANDOM).isNotSameAs(java.util.random.RandomGenerator.getDefault());
    }
}
