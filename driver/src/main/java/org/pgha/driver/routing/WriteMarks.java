package org.pgha.driver.routing;

import java.util.concurrent.atomic.AtomicLong;
import org.pgha.driver.ReadYourWritesScope;

/**
 * When the last write of a scope wider than one connection was acknowledged, on the monitor's
 * clock: the calling thread's last write, or the DataSource's. One per DataSource, shared by its
 * logical connections; safe for concurrent use.
 */
public final class WriteMarks {

    /** The marks of a connection-scoped DataSource: they hold nothing, so one serves all. */
    public static final WriteMarks CONNECTION = new WriteMarks(ReadYourWritesScope.CONNECTION);

    private final ReadYourWritesScope scope;
    private final AtomicLong dataSource = new AtomicLong(Long.MIN_VALUE);
    private final ThreadLocal<long[]> thread = ThreadLocal.withInitial(() -> new long[] {Long.MIN_VALUE});

    private WriteMarks(ReadYourWritesScope scope) {
        this.scope = scope;
    }

    /** The marks of one DataSource with this scope. */
    public static WriteMarks of(ReadYourWritesScope scope) {
        return scope == ReadYourWritesScope.CONNECTION ? CONNECTION : new WriteMarks(scope);
    }

    public ReadYourWritesScope scope() {
        return scope;
    }

    /** A write on the primary was acknowledged at {@code nanos}, on the calling thread. */
    void acknowledged(long nanos) {
        switch (scope) {
            case THREAD -> {
                long[] mark = thread.get();
                mark[0] = later(mark[0], nanos);
            }
            case DATA_SOURCE -> dataSource.accumulateAndGet(nanos, WriteMarks::later);
            case CONNECTION -> {
                // the connection keeps its own
            }
        }
    }

    /** The last write the calling thread's reads must see, or {@link Long#MIN_VALUE} for none. */
    long lastAcknowledged() {
        return switch (scope) {
            case THREAD -> thread.get()[0];
            case DATA_SOURCE -> dataSource.get();
            case CONNECTION -> Long.MIN_VALUE;
        };
    }

    /** The later of two monitor-clock readings ({@link Long#MIN_VALUE} for none), safe across wrap-around. */
    static long later(long a, long b) {
        if (a == Long.MIN_VALUE) {
            return b;
        }
        if (b == Long.MIN_VALUE) {
            return a;
        }
        return b - a > 0 ? b : a;
    }
}
