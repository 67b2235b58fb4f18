package org.pgha.driver.topology;

import java.sql.Connection;
import java.sql.SQLException;
import org.pgha.driver.config.HostSpec;

/**
 * What a logical connection reads of the cluster and tells its topology monitor: the
 * {@link ClusterMonitor} implements it, and tests of routing and of the failover path without
 * a database implement it with a topology they set.
 */
public interface ClusterView {

    /** The latest snapshot: one volatile read. */
    Topology topology();

    /** The clock probe times and write acknowledgements are measured on, in nanoseconds. */
    long nanoTime();

    /**
     * Waits until a snapshot other than {@code seen} is published, or the deadline passes.
     *
     * @return the snapshot then current
     */
    Topology awaitChange(Topology seen, long deadlineNanos);

    /** Probes every node now and keeps probing fast until a primary is confirmed. */
    void requestProbe();

    /** Marks a node that failed a connection as suspect until a probe sent after the failure finds it well. */
    void suspect(HostSpec host);

    /** Whether the node is suspect as this snapshot shows it. */
    boolean isSuspect(NodeState node);

    /** The node's last probe failure, or null if its last probe succeeded. */
    SQLException lastFailure(HostSpec host);

    /** Registers a physical connection the application uses, so that it is aborted when its node goes DOWN. */
    void track(HostSpec host, Connection physical);

    /** Whether {@code physical} is still tracked: false once the monitor aborted it. */
    boolean isTracked(HostSpec host, Connection physical);

    /** Undoes {@link #track}. */
    void untrack(HostSpec host, Connection physical);
}
