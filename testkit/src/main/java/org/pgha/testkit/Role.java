package org.pgha.testkit;

/** What a node of a {@link LocalCluster} is, as the node itself reports it right now. */
public enum Role {
    /** Accepts writes: {@code pg_is_in_recovery()} is false. */
    PRIMARY,
    /** In recovery: a standby. */
    STANDBY,
    /** Not answering within the read-out's timeout: stopped, crashed or frozen. */
    DOWN
}
