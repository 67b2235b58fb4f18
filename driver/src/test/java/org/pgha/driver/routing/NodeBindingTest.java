package org.pgha.driver.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.pgha.driver.fakes.FakeCluster.down;
import static org.pgha.driver.fakes.FakeCluster.primary;
import static org.pgha.driver.fakes.FakeCluster.replica;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pgha.driver.FailoverTimeoutException;
import org.pgha.driver.LoadBalance;
import org.pgha.driver.ReadFallback;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.failover.FailureClassifier;
import org.pgha.driver.fakes.FakeCluster;
import org.pgha.driver.fakes.FakeNodes;

/** {@link NodeBinding} without a database: a cluster view set by the test, fake physical connections. */
class NodeBindingTest {

    static final HostSpec P = new HostSpec("p", 5432);
    static final HostSpec R = new HostSpec("r", 5432);

    final FakeNodes nodes = new FakeNodes();
    final List<String> session = new ArrayList<>();
    boolean resetSucceeds = true;

    static PghaConfig config(String parameters) throws SQLException {
        return PghaConfig.parse("jdbc:pgha://p:5432,r:5432/db?" + parameters, new Properties());
    }

    NodeBinding binding(FakeCluster cluster, String parameters) throws SQLException {
        Router router = new Router(LoadBalance.ROUND_ROBIN, ReadFallback.PRIMARY, Duration.ofSeconds(10),
                OptionalLong.empty(), new Random(1));
        NodeBinding.Session s = new NodeBinding.Session() {
            @Override
            public void applyTo(Connection physical, boolean readOnly) throws SQLException {
                physical.setReadOnly(readOnly);
                session.add("apply " + physical + (readOnly ? " read-only" : ""));
            }

            @Override
            public void bound() {
                session.add("bound");
            }

            @Override
            public boolean resetForReuse(Connection physical) {
                session.add("reset " + physical);
                return resetSucceeds;
            }
        };
        return new NodeBinding(cluster, router, nodes, config(parameters), FailureClassifier.DEFAULT::nodeLost, s,
                () -> { });
    }

    @Test
    void writesBindThePrimaryReadsAReplicaAndABindingThatQualifiesIsKept() throws SQLException {
        FakeCluster cluster = new FakeCluster(FakeCluster.of(primary(P), replica(R)));
        NodeBinding b = binding(cluster, "");

        b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE);
        assertThat(b.node().host()).isEqualTo(P);
        assertThat(b.forWrites()).isTrue();
        Connection first = b.physical();
        b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE);
        assertThat(b.physical()).as("the bound primary still qualifies").isSameAs(first);

        b.route(RoutingIntent.READ, true, ReadConsistency.NONE);
        assertThat(b.node().host()).isEqualTo(R);
        assertThat(b.physical().isReadOnly()).isTrue();
        assertThat(cluster.isTracked(R, b.physical())).isTrue();
        assertThat(cluster.isTracked(P, first)).as("the old connection is no longer tracked").isFalse();
        assertThat(nodes.log).containsExactly("acquire p:5432", "acquire r:5432", "release p:5432#1");
        assertThat(session).containsExactly("apply p:5432#1", "bound", "apply r:5432#2 read-only", "bound");
    }

    @Test
    void withoutAPrimaryAWriteWaitsForOneAndAsksForAProbe() throws SQLException {
        FakeCluster cluster = new FakeCluster(FakeCluster.of(down(P), replica(R)));
        cluster.thenTopology(FakeCluster.of(down(P), primary(R)));
        NodeBinding b = binding(cluster, "failoverTimeout=10s");

        b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE);

        assertThat(b.node().host()).isEqualTo(R);
        assertThat(cluster.probeRequests).isEqualTo(1);
    }

    @Test
    void aWaitThatSeesNoPrimaryEndsAtFailoverTimeoutNamingEveryNode() throws SQLException {
        FakeCluster cluster = new FakeCluster(FakeCluster.of(down(P), replica(R)));
        NodeBinding b = binding(cluster, "failoverTimeout=100ms");

        FailoverTimeoutException e = catchThrowableOfType(FailoverTimeoutException.class,
                () -> b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE));

        assertThat(e.getMessage()).contains("No usable primary within failoverTimeout (100 ms)", "p:5432: down",
                "r:5432: up, REPLICA");
        assertThat(b.isBound()).isFalse();
    }

    @Test
    void aPoolsBorrowTimeoutBoundsTheWaitOfAConnectionThatLostNothing() throws SQLException {
        nodes.pooled(Duration.ofMillis(50));
        FakeCluster cluster = new FakeCluster(FakeCluster.of(down(P), replica(R)));
        NodeBinding b = binding(cluster, "failoverTimeout=30s");

        FailoverTimeoutException e = catchThrowableOfType(FailoverTimeoutException.class,
                () -> b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE));

        assertThat(e.getMessage()).contains("within connectionTimeout (50 ms)");
    }

    @Test
    void aNodeThatFailsToConnectBecomesSuspectAndTheBindingWaits() throws SQLException {
        nodes.refusing(P, new SQLException("Connection refused", "08001"));
        FakeCluster cluster = new FakeCluster(FakeCluster.of(primary(P), replica(R)));
        cluster.thenTopology(FakeCluster.of(down(P), primary(R)));
        NodeBinding b = binding(cluster, "failoverTimeout=10s");

        b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE);

        assertThat(cluster.suspected).containsExactly(P);
        assertThat(b.node().host()).isEqualTo(R);
    }

    @Test
    void aFailureThatIsNotTheNodesIsThrownAtOnce() throws SQLException {
        nodes.refusing(P, new SQLException("password authentication failed", "28P01"));
        FakeCluster cluster = new FakeCluster(FakeCluster.of(primary(P), replica(R)));
        NodeBinding b = binding(cluster, "failoverTimeout=10s");

        SQLException e = catchThrowableOfType(SQLException.class,
                () -> b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE));

        assertThat(e.getSQLState()).isEqualTo("28P01");
        assertThat(cluster.suspected).isEmpty();
        assertThat(cluster.probeRequests).isZero();
    }

    @Test
    void everyNodeRejectingTheClientFailsAtOnceNamingEachNode() throws SQLException {
        FakeCluster cluster = new FakeCluster(FakeCluster.of(down(P), down(R)))
                .failure(P, new SQLException("password authentication failed for user \"app\"", "28P01"))
                .failure(R, new SQLException("Connection refused", "08001"));
        NodeBinding b = binding(cluster, "failoverTimeout=10s");

        long start = System.nanoTime();
        SQLNonTransientConnectionException e = catchThrowableOfType(SQLNonTransientConnectionException.class,
                () -> b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE));

        assertThat(e.getSQLState()).isEqualTo("28P01");
        assertThat(e.getMessage()).contains("waiting would not help", "p:5432", "password authentication failed",
                "r:5432", "Connection refused");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no wait for failoverTimeout")
                .isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aPrimaryThatStopsTakingWritesWhileItIsBoundIsNotUsed() throws SQLException {
        // The monitor publishes the new write target before it aborts the old primary's
        // connections: a connection tracked meanwhile must see the new target.
        FakeCluster cluster = new FakeCluster(FakeCluster.of(primary(P), replica(R)));
        cluster.onTrack = host -> {
            if (host.equals(P)) {
                cluster.topology(FakeCluster.of(replica(P), primary(R)));
            }
        };
        NodeBinding b = binding(cluster, "failoverTimeout=10s");

        b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE);

        assertThat(b.node().host()).isEqualTo(R);
        assertThat(nodes.log).containsSubsequence("acquire p:5432", "discard p:5432#1", "acquire r:5432");
    }

    @Test
    void aConnectionWhoseSessionCannotBeResetIsDiscardedNotReused() throws SQLException {
        nodes.pooled(null);
        FakeCluster cluster = new FakeCluster(FakeCluster.of(primary(P), replica(R)));
        NodeBinding b = binding(cluster, "");
        b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE);
        b.release();
        b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE);
        resetSucceeds = false;
        b.release();

        assertThat(nodes.log).containsExactly("acquire p:5432", "release p:5432#1", "acquire p:5432",
                "discard p:5432#2");
    }

    @Test
    void aLostNodeIsAbortedDiscardedReportedAndSuspected() throws SQLException {
        FakeCluster cluster = new FakeCluster(FakeCluster.of(primary(P), replica(R)));
        NodeBinding b = binding(cluster, "");
        b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE);

        assertThat(b.dropLostNode()).isEqualTo(P);

        assertThat(nodes.last(P).aborted()).isTrue();
        assertThat(nodes.log).endsWith("discard p:5432#1", "lost p:5432");
        assertThat(cluster.suspected).containsExactly(P);
        assertThat(b.isBound()).isFalse();
    }

    @Test
    void aConnectionTheMonitorAbortedIsNotAlive() throws SQLException {
        FakeCluster cluster = new FakeCluster(FakeCluster.of(primary(P), replica(R)));
        NodeBinding b = binding(cluster, "");
        b.route(RoutingIntent.WRITE, false, ReadConsistency.NONE);
        assertThat(b.alive()).isTrue();

        cluster.abortConnections(P);

        assertThat(b.alive()).isFalse();
    }

    @Test
    void connectionTroubleMakesTheMonitorLookAtOnceOtherErrorsDoNot() throws SQLException {
        FakeCluster cluster = new FakeCluster(FakeCluster.of(primary(P), replica(R)));
        NodeBinding b = binding(cluster, "");
        b.failed(new SQLException("duplicate key", "23505"));
        assertThat(cluster.probeRequests).isZero();
        b.failed(new SQLException("terminating connection due to administrator command", "57P01"));
        b.failed(new SQLException("An I/O error occurred", "08006"));
        assertThat(cluster.probeRequests).isEqualTo(2);
    }
}
