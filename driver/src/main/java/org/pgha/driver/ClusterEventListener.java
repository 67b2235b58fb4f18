package org.pgha.driver;

/**
 * Receives the topology monitor's events, on the monitor's thread: return quickly. An
 * exception thrown by a listener is logged and otherwise ignored.
 */
@FunctionalInterface
public interface ClusterEventListener {

    void onEvent(ClusterEvent event);
}
