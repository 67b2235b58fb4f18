package org.pgha.driver.fakes;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.topology.NodeConnections;

/**
 * Physical connections for unit tests: each acquire makes a new {@link FakeConnection}, or
 * fails for a node told to fail; what was released, discarded and reported lost is logged.
 */
public final class FakeNodes implements NodeConnections {

    private final Map<HostSpec, SQLException> refusing = new HashMap<>();
    public final List<FakeConnection> acquired = new ArrayList<>();
    public final List<String> log = new ArrayList<>();
    private boolean reuses;
    private Duration borrowTimeout;

    /** Acquiring a connection to {@code host} fails with {@code failure} from now on (null: it works again). */
    public FakeNodes refusing(HostSpec host, SQLException failure) {
        if (failure == null) {
            refusing.remove(host);
        } else {
            refusing.put(host, failure);
        }
        return this;
    }

    /** Behave as a pool: released connections are reused, and a borrow waits up to {@code timeout} (null: none). */
    public FakeNodes pooled(Duration timeout) {
        this.reuses = true;
        this.borrowTimeout = timeout;
        return this;
    }

    /** The last connection acquired to {@code host}. */
    public FakeConnection last(HostSpec host) {
        for (int i = acquired.size() - 1; i >= 0; i--) {
            if (acquired.get(i).connection().toString().startsWith(host + "#")) {
                return acquired.get(i);
            }
        }
        throw new AssertionError("no connection was acquired to " + host);
    }

    @Override
    public Connection acquire(HostSpec node) throws SQLException {
        log.add("acquire " + node);
        SQLException failure = refusing.get(node);
        if (failure != null) {
            throw failure;
        }
        FakeConnection c = new FakeConnection(node + "#" + (acquired.size() + 1));
        acquired.add(c);
        return c.connection();
    }

    @Override
    public void release(HostSpec node, Connection physical) {
        log.add("release " + physical);
    }

    @Override
    public void discard(HostSpec node, Connection physical) {
        log.add("discard " + physical);
    }

    @Override
    public void connectionLost(HostSpec node) {
        log.add("lost " + node);
    }

    @Override
    public Duration borrowTimeout() {
        return borrowTimeout;
    }

    @Override
    public boolean reusesConnections() {
        return reuses;
    }
}
