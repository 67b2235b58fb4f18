package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WorkloadTest {

    @Test
    void countsEachOperationAndWaitsForProgress() throws Exception {
        try (Workload load = Workload.builder()
                .operation("write", 2, () -> Thread.sleep(1))
                .operation("read", 1, () -> { })
                .start()) {
            load.awaitProgress(20, Duration.ofSeconds(10));
            assertThat(load.completed("write")).isGreaterThanOrEqualTo(20);
            assertThat(load.completed("read")).isGreaterThanOrEqualTo(20);
            load.stop(Duration.ofSeconds(10));
            long writes = load.completed("write");
            Thread.sleep(20);
            assertThat(load.completed("write")).as("nothing runs after stop").isEqualTo(writes);
            assertThat(load.errors()).isEmpty();
            assertThat(load.slowest()).isPositive();
        }
    }

    @Test
    void anOperationThatThrowsIsRecordedAndFailsTheNextWait() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        IllegalStateException boom = new IllegalStateException("primary lost");
        try (Workload load = Workload.builder()
                .operation("admit", 1, () -> {
                    if (runs.incrementAndGet() == 5) {
                        throw boom;
                    }
                })
                .start()) {
            assertThatThrownBy(() -> load.awaitProgress(1_000, Duration.ofSeconds(10)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("admit: java.lang.IllegalStateException: primary lost")
                    .hasCause(boom);
            assertThat(load.errors()).singleElement().satisfies(e -> {
                assertThat(e.operation()).isEqualTo("admit");
                assertThat(e.exception()).isSameAs(boom);
            });
            assertThat(load.completed("admit")).as("the thread stopped at its error").isEqualTo(4);
        }
    }

    @Test
    void noProgressWithinTheLimitNamesTheOperationsBehind() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (Workload load = Workload.builder()
                .operation("fast", 1, () -> { })
                .operation("stuck", 1, never::await)
                .start()) {
            assertThatThrownBy(() -> load.awaitProgress(1, Duration.ofMillis(200)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("stuck 0/1")
                    .hasMessageNotContaining("fast");
            assertThatThrownBy(() -> load.stop(Duration.ofMillis(100))).isInstanceOf(TimeoutException.class);
        }
        assertThat(never.getCount()).isEqualTo(1);
    }

    @Test
    void badDefinitionsAreRefused() {
        assertThatThrownBy(() -> Workload.builder().start()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Workload.builder().operation("a", 0, () -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1 thread");
        assertThatThrownBy(() -> Workload.builder().operation("a", 1, () -> { }).operation("a", 1, () -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a name of its own");
    }
}
