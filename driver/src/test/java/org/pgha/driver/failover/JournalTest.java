package org.pgha.driver.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pgha.driver.fakes.FakeConnection;

/** {@link Journal} with fake statements: what it records, when it stops, and how a replay is checked. */
class JournalTest {

    /** A statement whose parameters the test sets; it runs on the replaying connection's statements. */
    static final class Fake implements Replayable {
        final String sql;
        Parameters parameters = Parameters.NONE;
        boolean closed;
        final List<String> log = new ArrayList<>();

        Fake(String sql) {
            this.sql = sql;
        }

        @Override
        public Parameters parameters() {
            return parameters;
        }

        @Override
        public Statement replayOn(Connection physical, Parameters p) throws SQLException {
            log.add("replayOn " + physical);
            return physical.createStatement();
        }

        @Override
        public void replayed(Statement physical) {
            log.add("replayed");
        }

        @Override
        public boolean closedByApplication() {
            return closed;
        }

        @Override
        public void restoreParameters() {
            log.add("restored");
        }

        Execution<Integer> update() {
            return s -> s.executeUpdate(sql);
        }
    }

    static Parameters sized(int weight, long bytes) {
        return new Parameters() {
            @Override
            public int weight() {
                return weight;
            }

            @Override
            public long bytes() {
                return bytes;
            }
        };
    }

    @Test
    void aReplayRunsEveryExecutionInOrderAndChecksItsUpdateCount() throws Exception {
        Journal journal = new Journal(10, 1 << 20);
        Fake insert = new Fake("INSERT INTO results VALUES (1)");
        Fake update = new Fake("UPDATE orders SET state = 'done'");
        assertThat(journal.record(insert, insert.update(), 1, null)).isNotNull();
        assertThat(journal.record(update, update.update(), 1, null)).isNotNull();
        FakeConnection replica = new FakeConnection("new-primary").updateCount(1);
        int[] replayed = {0};

        journal.replay(replica.connection(), () -> replayed[0]++);

        assertThat(replica.executed()).containsExactly(insert.sql, update.sql);
        assertThat(replayed[0]).isEqualTo(2);
        assertThat(insert.log).containsExactly("replayOn new-primary", "replayed", "restored");
    }

    @Test
    void anUpdateCountThatDiffersIsAMismatchNamingTheStatement() throws Exception {
        Journal journal = new Journal(10, 1 << 20);
        Fake first = new Fake("INSERT INTO results VALUES (1)");
        Fake second = new Fake("UPDATE orders SET state = 'done' WHERE id = 7");
        journal.record(first, first.update(), 1, null);
        journal.record(second, second.update(), 3, null);
        FakeConnection c = new FakeConnection("new-primary").updateCount(1);

        Journal.Mismatch m = catchThrowableOfType(Journal.Mismatch.class, () -> journal.replay(c.connection(), () -> { }));

        assertThat(m.getMessage()).contains("statement 2 of 2", "update count 1 where it was 3");
        assertThat(second.log).as("the replayed statement is handed back even so").contains("replayed");
    }

    @Test
    void theExecutionLimitStopsRecordingAndSaysWhy() throws SQLException {
        Journal journal = new Journal(3, 1 << 20);
        Fake s = new Fake("INSERT INTO t VALUES (1)");
        journal.record(s, s.update(), 1, null);
        s.parameters = sized(2, 16); // a batch of two
        assertThat(journal.record(s, s.update(), new int[] {1, 1}, null)).isNotNull();
        assertThat(journal.notReplayable()).isNull();

        s.parameters = Parameters.NONE;
        assertThat(journal.record(s, s.update(), 1, null)).isNull();
        assertThat(journal.notReplayable()).contains("transactionReplayLimit (3)");
    }

    @Test
    void theByteLimitAndStreamParametersStopRecording() throws SQLException {
        Journal bytes = new Journal(100, 1000);
        Fake s = new Fake("INSERT INTO images VALUES (?)");
        s.parameters = sized(1, 600);
        bytes.record(s, s.update(), 1, null);
        assertThat(bytes.record(s, s.update(), 1, null)).isNull();
        assertThat(bytes.notReplayable()).contains("transactionReplayMaxBytes (1000)");

        Journal stream = new Journal(100, 1000);
        s.parameters = Parameters.NOT_REPEATABLE;
        assertThat(stream.record(s, s.update(), 1, null)).isNull();
        assertThat(stream.notReplayable()).contains("stream");
    }

    @Test
    void aStoppedTransactionReplaysNothingAndANewOneRecordsAgain() throws Exception {
        Journal journal = new Journal(10, 1 << 20);
        Fake s = new Fake("INSERT INTO t VALUES (1)");
        journal.record(s, s.update(), 1, null);
        journal.stop("a savepoint was set");
        journal.stop("something later");
        assertThat(journal.notReplayable()).as("the first reason stays").isEqualTo("a savepoint was set");
        assertThat(journal.record(s, s.update(), 1, null)).isNull();

        journal.clear();
        assertThat(journal.notReplayable()).isNull();
        journal.record(s, s.update(), 1, null);
        FakeConnection c = new FakeConnection("c");
        journal.replay(c.connection(), () -> { });
        assertThat(c.executed()).containsExactly(s.sql);
    }

    @Test
    void aStatementTheApplicationClosedGetsNoParametersBack() throws Exception {
        Journal journal = new Journal(10, 1 << 20);
        Fake s = new Fake("INSERT INTO t VALUES (1)");
        journal.record(s, s.update(), 1, null);
        s.closed = true;

        journal.replay(new FakeConnection("c").connection(), () -> { });

        assertThat(s.log).containsExactly("replayOn c", "replayed");
    }
}
