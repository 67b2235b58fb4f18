package org.pgha.driver.topology;

import java.sql.Connection;
import java.sql.SQLException;
import org.pgha.driver.config.HostSpec;

/**
 * Where a logical connection gets its physical connections: the driver opens one with pgjdbc,
 * the pool borrows one from that node's HikariCP pool. Releasing gives it back (the driver
 * closes it; the pool returns it).
 */
public interface NodeConnections {

    /** A physical connection to {@code node}, in autocommit mode and read-write. */
    Connection acquire(HostSpec node) throws SQLException;

    /** Gives a connection from {@link #acquire} back; never throws. */
    void release(HostSpec node, Connection physical);

    /** Gives back a connection whose node failed (aborted already): it must not be used again. */
    default void discard(HostSpec node, Connection physical) {
        release(node, physical);
    }

    /**
     * A connection to {@code node} was just lost (reset, closed, timed out) while the node may
     * be fine: the others made before may be dead as well. A pool drops its idle ones and its
     * busy ones when they come back, so that a retry gets a connection made from now on; the
     * driver, which keeps none, does nothing.
     */
    default void connectionLost(HostSpec node) {
    }

    /**
     * How long a connection that holds no physical connection, and lost none, waits for a
     * usable node, if shorter than {@code failoverTimeout}: a pool's {@code connectionTimeout},
     * as a borrow from HikariCP waits. Null: {@code failoverTimeout} alone.
     */
    default java.time.Duration borrowTimeout() {
        return null;
    }

    /**
     * Whether released connections are handed out again: if so, session settings made through
     * a logical connection ({@code SET}, client info) are reset before release.
     */
    default boolean reusesConnections() {
        return false;
    }
}
