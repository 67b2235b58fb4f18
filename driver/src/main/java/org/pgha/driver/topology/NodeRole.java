package org.pgha.driver.topology;

/** What a node was, as of its last probe. */
public enum NodeRole {
    /** Not in recovery ({@code pg_is_in_recovery()} false): accepts writes. */
    PRIMARY,
    /** In recovery: a standby replaying WAL, read-only. */
    REPLICA,
    /** Never probed successfully: nothing is known, and nothing is routed to it. */
    UNKNOWN
}
