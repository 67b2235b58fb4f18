package org.pgha.driver;

/** How reads are spread over the replicas within the lag bound ({@code loadBalance}). */
public enum LoadBalance {
    /** In turn, the default. */
    ROUND_ROBIN("roundRobin"),
    /** The replica with the smallest conservative lag. */
    LEAST_LAG("leastLag"),
    /** Uniformly at random. */
    RANDOM("random");

    private final String value;

    LoadBalance(String value) {
        this.value = value;
    }

    /** The value as written in a URL or a property. */
    public String value() {
        return value;
    }
}
