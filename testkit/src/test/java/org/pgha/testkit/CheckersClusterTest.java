package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ledger and the staleness checker catch what they exist to catch, on real servers. */
@LocalClusterTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CheckersClusterTest {

    @Test
    void theLedgerReportsADeletedAcknowledgedRowAndADoubledOne(LocalCluster cluster) throws SQLException {
        Ledger ledger = new Ledger("ledger_check");
        List<Long> ids = new ArrayList<>();
        try (Connection c = cluster.connect(cluster.primary())) {
            ledger.createTable(c);
            try (PreparedStatement insert = c.prepareStatement(ledger.insertSql())) {
                for (int i = 0; i < 50; i++) {
                    long id = ledger.newId();
                    insert.setLong(1, id);
                    insert.setString(2, "row " + i);
                    insert.executeUpdate();
                    ledger.acknowledged(id);
                    ids.add(id);
                }
            }
            LedgerReport clean = ledger.verify(c);
            assertThat(clean.isClean()).as(clean.summary()).isTrue();
            assertThat(clean.acknowledged()).isEqualTo(50);

            long deleted = ids.get(10);
            long doubled = ids.get(20);
            try (Statement s = c.createStatement()) {
                s.execute("DELETE FROM ledger_check WHERE id = " + deleted);
                s.execute("INSERT INTO ledger_check (id, payload) VALUES (" + doubled + ", 'again')");
            }
            LedgerReport report = ledger.verify(c);
            assertThat(report.isClean()).isFalse();
            assertThat(report.lost()).containsExactly(deleted);
            assertThat(report.duplicated()).containsExactly(new LedgerReport.Duplicate(doubled, 2));
            assertThat(report.summary()).contains("1 lost", "1 duplicated");
        }
    }

    @Test
    void theStalenessCheckerReportsAReadFromALaggingStandby(LocalCluster cluster) throws Exception {
        Node primary = cluster.primary();
        Node standby = cluster.standbys().get(1);
        try (Connection c = cluster.connect(primary); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE versions (key bigint PRIMARY KEY, seq bigint NOT NULL)");
            s.execute("INSERT INTO versions VALUES (1, 0)");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
        Duration bound = Duration.ofMillis(200);
        StalenessChecker checker = new StalenessChecker();

        cluster.pauseReplay(standby);
        try (Connection writer = cluster.connect(primary); Connection onStandby = cluster.connect(standby);
             Connection onPrimary = cluster.connect(primary)) {
            try (Statement s = writer.createStatement()) {
                s.execute("UPDATE versions SET seq = 1 WHERE key = 1");
            }
            checker.writeAcknowledged(1, 1, "writer");
            // Read-your-writes: the writer's own session reads the lagging standby at once.
            read(checker, onStandby, "writer", standby);
            Thread.sleep(bound.multipliedBy(2).toMillis());
            // Past the bound: a read from the paused standby misses the write; the primary's does not.
            read(checker, onStandby, "reader", standby);
            read(checker, onPrimary, "reader", primary);
        } finally {
            cluster.resumeReplay(standby);
        }

        StalenessReport report = checker.report(bound);
        assertThat(report.readsChecked()).isEqualTo(3);
        assertThat(report.isClean()).isFalse();
        assertThat(report.staleReads()).singleElement().satisfies(stale -> {
            assertThat(stale.node()).isEqualTo(standby.name());
            assertThat(stale.seenSeq()).isZero();
            assertThat(stale.requiredSeq()).isEqualTo(1);
            assertThat(stale.staleness()).isGreaterThan(bound);
        });
        assertThat(report.readYourWritesViolations()).singleElement()
                .satisfies(v -> assertThat(v.session()).isEqualTo("writer"));
    }

    private static void read(StalenessChecker checker, Connection c, String session, Node node) throws SQLException {
        long started = checker.now();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT seq FROM versions WHERE key = 1")) {
            rs.next();
            checker.readCompleted(started, 1, rs.getLong(1), session, node.name());
        }
    }
}
