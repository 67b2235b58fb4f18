package org.pgha.driver.routing;

/** What a transaction needs from the node it is routed to. */
public enum RoutingIntent {
    /** Writes, or anything that must run on the primary. */
    WRITE,
    /** Read-only: a replica within the lag bound will do. */
    READ
}
