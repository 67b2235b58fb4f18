package org.pgha.driver;

/** What a read does when no replica is within the lag bound ({@code readFallback}). */
public enum ReadFallback {
    /** Read from the primary, the default: always fresh, never an error for lack of replicas. */
    PRIMARY("primary"),
    /** Fail at once with {@link org.pgha.driver.PghaSqlState#NO_REPLICA_WITHIN_LAG}. */
    FAIL("fail"),
    /**
     * Wait up to {@code readWaitTimeout} for a replica within the bound (one catching up, or one
     * the monitor can bound again after a failover), then fail with
     * {@link org.pgha.driver.PghaSqlState#NO_REPLICA_WITHIN_LAG}. Never reads from the primary.
     */
    WAIT("wait");

    private final String value;

    ReadFallback(String value) {
        this.value = value;
    }

    /** The value as written in a URL or a property. */
    public String value() {
        return value;
    }
}
