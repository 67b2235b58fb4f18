package org.pgha.driver.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.pgha.driver.fakes.FakeCluster.down;
import static org.pgha.driver.fakes.FakeCluster.primary;
import static org.pgha.driver.fakes.FakeCluster.replica;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pgha.driver.LoadBalance;
import org.pgha.driver.OutcomeUnknownException;
import org.pgha.driver.ReadFallback;
import org.pgha.driver.TransactionRolledBackException;
import org.pgha.driver.config.HostSpec;
import org.pgha.driver.config.PghaConfig;
import org.pgha.driver.fakes.FakeCluster;
import org.pgha.driver.fakes.FakeNodes;
import org.pgha.driver.metrics.ClusterMetrics;
import org.pgha.driver.routing.NodeBinding;
import org.pgha.driver.routing.ReadYourWrites;
import org.pgha.driver.routing.Router;

/**
 * The failover path's verdicts without a database: what the application sees when its node is
 * lost at each point of a transaction. A cluster view set by the test stands for the monitor; a
 * node "promoted" is one the next snapshot shows as primary.
 */
class FailoverPathTest {

    static final HostSpec P = new HostSpec("p", 5432);
    static final HostSpec R = new HostSpec("r", 5432);
    static final SQLException LOST = new SQLException("An I/O error occurred while sending to the backend", "08006");

    final FakeNodes nodes = new FakeNodes();
    final List<String> ended = new ArrayList<>();
    final List<String> replays = new ArrayList<>();
    /** P is primary; once the path gives P up, the next snapshot shows R promoted. */
    final FakeCluster cluster = new FakeCluster(FakeCluster.of(primary(P), replica(R)))
            .thenTopology(FakeCluster.of(down(P), primary(R)));
    NodeBinding binding;

    FailoverPath path(String parameters) throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://p:5432,r:5432/db?failoverTimeout=5s&" + parameters,
                new Properties());
        Router router = new Router(LoadBalance.ROUND_ROBIN, ReadFallback.PRIMARY, Duration.ofSeconds(10),
                OptionalLong.empty(), new Random(1));
        NodeBinding.Session session = new NodeBinding.Session() {
            @Override
            public void applyTo(Connection physical, boolean readOnly) throws SQLException {
                physical.setReadOnly(readOnly);
            }

            @Override
            public void bound() {
            }

            @Override
            public boolean resetForReuse(Connection physical) {
                return true;
            }
        };
        FailureClassifier classifier = FailureClassifier.DEFAULT;
        binding = new NodeBinding(cluster, router, nodes, config, classifier::nodeLost, session, () -> { });
        ClusterMetrics metrics = new ClusterMetrics() {
            @Override
            public void routed(HostSpec node, org.pgha.driver.topology.NodeRole role) {
            }

            @Override
            public void replayed(String outcome) {
                replays.add(outcome);
            }
        };
        return new FailoverPath(binding, cluster, classifier, metrics, config, new ReadYourWrites(true),
                new FailoverPath.Owner() {
                    @Override
                    public void checkOpen() {
                    }

                    @Override
                    public void transactionEnded(boolean committed) {
                        ended.add(committed ? "committed" : "rolled back");
                    }
                });
    }

    /** Autocommit off, as a transaction starts; what that did to the owner is forgotten. */
    FailoverPath inTransaction(FailoverPath path) throws SQLException {
        path.autoCommit(false);
        ended.clear();
        return path;
    }

    /** An INSERT ran on the bound connection, succeeded and is in the journal. */
    static JournalTest.Fake recordedInsert(FailoverPath path) throws SQLException {
        JournalTest.Fake insert = new JournalTest.Fake("INSERT INTO results VALUES (1)");
        Connection c = path.physicalFor(true);
        path.record(insert, insert.update(), 1, c.createStatement());
        path.executed();
        return insert;
    }

    /** The application's statement ran on the bound connection and succeeded. */
    static void statement(FailoverPath path) throws SQLException {
        path.physicalFor(true);
        path.executed();
    }

    @Test
    void anApplicationErrorReachesTheApplicationAndKeepsTheNode() throws SQLException {
        FailoverPath path = path("");
        path.physicalFor(true);
        SQLException duplicate = new SQLException("duplicate key value violates unique constraint", "23505");

        assertThat((Throwable) path.afterFailure(duplicate, 1)).isSameAs(duplicate);
        assertThat(binding.isBound()).isTrue();
        assertThat(cluster.suspected).isEmpty();
    }

    @Test
    void anAutocommitWriteLostInFlightHasAnUnknownOutcome() throws SQLException {
        FailoverPath path = path("exactlyOnceAutocommit=false");
        path.physicalFor(true);

        Throwable seen = path.afterFailure(LOST, 1);

        assertThat(seen).isInstanceOf(OutcomeUnknownException.class).hasCause(LOST);
        assertThat(seen.getMessage()).contains("p:5432", "may or may not have committed");
        assertThat(cluster.suspected).containsExactly(P);
        assertThat(nodes.last(P).aborted()).isTrue();
    }

    @Test
    void anAutocommitReadLostInFlightRunsAgain() throws SQLException {
        FailoverPath path = path("");
        path.readOnly(true);
        path.physicalFor(true);

        assertThat((Throwable) path.afterFailure(LOST, 1)).as("null: run it again").isNull();
        assertThat(binding.isBound()).isFalse();
    }

    @Test
    void aWriteRefusedByADemotedPrimaryRunsAgain() throws SQLException {
        FailoverPath path = path("exactlyOnceAutocommit=false");
        path.physicalFor(true);
        SQLException readOnly = new SQLException("cannot execute INSERT in a read-only transaction", "25006");

        assertThat((Throwable) path.afterFailure(readOnly, 1)).isNull();
    }

    @Test
    void theFirstStatementOfATransactionRunsAgainOnTheNextPrimary() throws SQLException {
        FailoverPath path = path("");
        path.autoCommit(false);
        path.physicalFor(true);

        assertThat((Throwable) path.afterFailure(LOST, 1)).isNull();
        assertThat(path.physicalFor(true)).isSameAs(binding.physical());
        assertThat(binding.node().host()).isEqualTo(R);
    }

    @Test
    void aFailureThatKeepsComingBackIsFinalAfterMaxAttempts() throws SQLException {
        FailoverPath path = path("");
        path.autoCommit(false);
        path.physicalFor(true);

        assertThat((Throwable) path.afterFailure(LOST, FailoverPath.MAX_ATTEMPTS)).isSameAs(LOST);
    }

    @Test
    void aLaterStatementLostWithoutReplayRollsTheTransactionBack() throws SQLException {
        FailoverPath path = inTransaction(path("transactionReplay=false"));
        statement(path);
        path.physicalFor(true);

        Throwable seen = path.afterFailure(LOST, 1);

        assertThat(seen).isInstanceOf(TransactionRolledBackException.class);
        assertThat(seen.getMessage()).contains("transactionReplay is off", "nothing of it was committed");
        assertThat(ended).containsExactly("rolled back");
        assertThat(replays).containsExactly("not_replayable");
    }

    @Test
    void aLaterStatementLostWithReplayGoesOnOnTheNewPrimary() throws SQLException {
        FailoverPath path = inTransaction(path("transactionReplay=true"));
        JournalTest.Fake insert = recordedInsert(path);
        path.physicalFor(true);

        assertThat((Throwable) path.afterFailure(LOST, 1)).as("replayed: the statement runs again").isNull();
        assertThat(replays).containsExactly("replayed");
        assertThat(binding.node().host()).isEqualTo(R);
        assertThat(nodes.last(R).executed()).containsExactly(insert.sql);
        assertThat(path.workAtStake()).as("the transaction goes on on R").isTrue();
        assertThat(ended).isEmpty();
    }

    @Test
    void somethingNotReplayableMakesALostTransactionRollBackNamingWhy() throws SQLException {
        FailoverPath path = inTransaction(path("transactionReplay=true"));
        statement(path);
        path.tied("a savepoint was set");

        Throwable seen = path.afterFailure(LOST, 1);

        assertThat(seen).isInstanceOf(TransactionRolledBackException.class);
        assertThat(seen.getMessage()).contains("a savepoint was set");
    }

    @Test
    void aTransactionLostAgainAndAgainEndsRolledBack() throws SQLException {
        FailoverPath path = inTransaction(path("transactionReplay=true"));
        statement(path);

        Throwable seen = path.afterFailure(LOST, FailoverPath.MAX_ATTEMPTS);

        assertThat(seen).isInstanceOf(TransactionRolledBackException.class);
        assertThat(seen.getMessage()).contains("again and again");
        assertThat(ended).containsExactly("rolled back");
    }

    @Test
    void aConnectionTheMonitorAbortedBetweenStatementsIsReplacedBeforeTheNextOne() throws SQLException {
        FailoverPath path = inTransaction(path("transactionReplay=true"));
        statement(path);
        Connection old = binding.physical();

        cluster.abortConnections(P);
        Connection next = path.physicalFor(true);

        assertThat(next).isNotSameAs(old);
        assertThat(binding.node().host()).isEqualTo(R);
        assertThat(replays).containsExactly("replayed");
    }

    @Test
    void commitInAutocommitModeIsAnError() throws SQLException {
        FailoverPath path = path("");

        SQLException e = catchThrowableOfType(SQLException.class, path::commit);

        assertThat(e.getSQLState()).isEqualTo("25P01");
    }

    @Test
    void aCommitWithNothingToCommitSendsNothing() throws SQLException {
        FailoverPath path = inTransaction(path(""));
        path.commit();

        assertThat(nodes.acquired).isEmpty();
        assertThat(ended).containsExactly("committed");
    }

    static final String ID_QUERY = "SELECT pg_current_xact_id_if_assigned()::text, pg_current_wal_insert_lsn()::text";

    @Test
    void aTransactionWhoseIdWasReadWithItsWriteCommitsWithoutAQueryOfItsOwn() throws SQLException {
        FailoverPath path = inTransaction(path(""));
        statement(path);
        assertThat(path.readsTransactionId()).as("the id is not known yet").isTrue();
        path.transactionIdRead("731", "0/3000060");
        assertThat(path.readsTransactionId()).as("known: later statements need not read it").isFalse();

        path.commit();

        assertThat(nodes.last(P).executed()).doesNotContain(ID_QUERY);
        assertThat(nodes.last(P).calls()).contains("commit()");
        assertThat(ended).containsExactly("committed");
    }

    @Test
    void aStatementRunAfterTheIdWasFoundUnassignedMakesTheCommitReadIt() throws SQLException {
        FailoverPath path = inTransaction(path(""));
        statement(path);
        path.transactionIdRead(null, "0/3000060");
        statement(path); // could not carry the query (a SELECT that may write through a function, say)
        assertThat(path.readsTransactionId()).isTrue();

        path.commit();

        assertThat(nodes.last(P).executed()).containsExactly(ID_QUERY);
    }

    @Test
    void aTransactionWhoseEveryStatementReadNoIdCommitsWithoutAQuery() throws SQLException {
        FailoverPath path = inTransaction(path(""));
        statement(path);
        path.transactionIdRead(null, "0/3000060");

        path.commit();

        assertThat(nodes.last(P).executed()).isEmpty();
        assertThat(ended).containsExactly("committed");
    }

    @Test
    void theIdIsReadAgainInTheNextTransactionAndNotOnAReadOnlyOne() throws SQLException {
        FailoverPath path = inTransaction(path(""));
        statement(path);
        path.transactionIdRead("731", "0/3000060");
        path.commit();
        statement(path);
        assertThat(path.readsTransactionId()).as("a new transaction").isTrue();
        path.commit();
        path.readOnly(true);
        statement(path);
        assertThat(path.readsTransactionId()).as("read-only: nothing to look up").isFalse();
    }

    @Test
    void aReplayedTransactionReadsItsNewIdBeforeItsCommit() throws SQLException {
        FailoverPath path = inTransaction(path("transactionReplay=true"));
        JournalTest.Fake insert = recordedInsert(path);
        path.transactionIdRead("731", "0/3000060");
        path.physicalFor(true);
        assertThat((Throwable) path.afterFailure(LOST, 1)).isNull();
        assertThat(binding.node().host()).isEqualTo(R);

        path.commit();

        assertThat(nodes.last(R).executed()).as("the id of P's transaction means nothing on R")
                .containsExactly(insert.sql, ID_QUERY);
    }
}
