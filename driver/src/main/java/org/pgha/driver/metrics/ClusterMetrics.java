package org.pgha.driver.metrics;

import org.pgha.driver.config.HostSpec;
import org.pgha.driver.topology.NodeRole;

/**
 * Where routing reports what it does, for meters. The default does nothing; with Micrometer
 * on the class path and a registry given, {@link MicrometerClusterMetrics} counts. Kept as an
 * interface so that nothing on the statement path refers to Micrometer's classes.
 */
public interface ClusterMetrics {

    /** Does nothing. */
    ClusterMetrics NONE = (node, role) -> { };

    /** A statement ran on this node, in this role. Called on every statement: must be cheap. */
    void routed(HostSpec node, NodeRole role);

    /** A statement is run again after its node was lost. */
    default void retried() {
    }

    /** A commit whose answer was lost was resolved: {@code committed}, {@code rolled_back} or {@code unknown}. */
    default void commitResolved(String result) {
    }

    /**
     * A transaction that lost its node was replayed, or not: {@code replayed},
     * {@code mismatch}, {@code not_replayable} or {@code failed}.
     */
    default void replayed(String result) {
    }
}
