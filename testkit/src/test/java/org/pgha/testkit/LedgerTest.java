package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LedgerTest {

    private final Ledger ledger = new Ledger();

    /** Issues {@code n} ids and records them all as acknowledged. */
    private List<Long> acknowledged(int n) {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long id = ledger.newId();
            ledger.acknowledged(id);
            ids.add(id);
        }
        return ids;
    }

    private static Map<Long, Long> once(List<Long> ids) {
        Map<Long, Long> counts = new HashMap<>();
        ids.forEach(id -> counts.put(id, 1L));
        return counts;
    }

    @Test
    void everyOutcomeAsExpectedIsClean() {
        List<Long> acked = acknowledged(5);
        long failed = ledger.newId();
        ledger.failed(failed);
        long unknownCommitted = ledger.newId();
        ledger.unknown(unknownCommitted);
        long unknownNot = ledger.newId();
        ledger.unknown(unknownNot);

        Map<Long, Long> table = once(acked);
        table.put(unknownCommitted, 1L);
        LedgerReport report = ledger.compare(table);

        assertThat(report.isClean()).as(report.summary()).isTrue();
        assertThat(report.attempted()).isEqualTo(8);
        assertThat(report.acknowledged()).isEqualTo(5);
        assertThat(report.failed()).isEqualTo(1);
        assertThat(report.unknown()).isEqualTo(2);
        assertThat(report.pending()).isZero();
        assertThat(report.unknownPresent()).isEqualTo(1);
        assertThat(report.unknownAbsent()).isEqualTo(1);
        assertThat(report.lost()).isEmpty();
        assertThat(report.duplicated()).isEmpty();
        assertThat(report.ghosts()).isEmpty();
        assertThat(report.unexpected()).isEmpty();
    }

    @Test
    void anAcknowledgedIdMissingFromTheTableIsLost() {
        List<Long> acked = acknowledged(6);
        Map<Long, Long> table = once(acked);
        table.remove(acked.get(4));
        table.remove(acked.get(1)); // removed out of order: the report sorts

        LedgerReport report = ledger.compare(table);

        assertThat(report.isClean()).isFalse();
        assertThat(report.lost()).containsExactly(acked.get(1), acked.get(4));
        assertThat(report.duplicated()).isEmpty();
        assertThat(report.ghosts()).isEmpty();
        assertThat(report.unexpected()).isEmpty();
    }

    @Test
    void anIdPresentTwiceIsDuplicatedWhateverItsOutcome() {
        List<Long> acked = acknowledged(3);
        long unknown = ledger.newId();
        ledger.unknown(unknown);
        Map<Long, Long> table = once(acked);
        table.put(acked.get(2), 2L);
        table.put(unknown, 3L);

        LedgerReport report = ledger.compare(table);

        assertThat(report.isClean()).isFalse();
        assertThat(report.duplicated()).containsExactly(
                new LedgerReport.Duplicate(acked.get(2), 2), new LedgerReport.Duplicate(unknown, 3));
        assertThat(report.lost()).isEmpty();
        assertThat(report.ghosts()).isEmpty();
        assertThat(report.unknownPresent()).isEqualTo(1);
    }

    @Test
    void aFailedIdThatCommittedIsAGhost() {
        List<Long> acked = acknowledged(2);
        long ghost = ledger.newId();
        ledger.failed(ghost);
        long ghostTwice = ledger.newId();
        ledger.failed(ghostTwice);
        long trulyFailed = ledger.newId();
        ledger.failed(trulyFailed);
        Map<Long, Long> table = once(acked);
        table.put(ghost, 1L);
        table.put(ghostTwice, 2L);

        LedgerReport report = ledger.compare(table);

        assertThat(report.isClean()).isFalse();
        assertThat(report.ghosts()).containsExactly(ghost, ghostTwice);
        assertThat(report.duplicated()).containsExactly(new LedgerReport.Duplicate(ghostTwice, 2));
        assertThat(report.failed()).isEqualTo(3);
        assertThat(report.lost()).isEmpty();
    }

    @Test
    void unknownOutcomesPresentOrAbsentAreNotViolations() {
        List<Long> unknowns = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            long id = ledger.newId();
            ledger.unknown(id);
            unknowns.add(id);
        }
        Map<Long, Long> table = once(unknowns.subList(0, 3));

        LedgerReport report = ledger.compare(table);

        assertThat(report.isClean()).as(report.summary()).isTrue();
        assertThat(report.unknown()).isEqualTo(4);
        assertThat(report.unknownPresent()).isEqualTo(3);
        assertThat(report.unknownAbsent()).isEqualTo(1);
    }

    @Test
    void idsWithoutARecordedOutcomeArePendingNotViolations() {
        long committed = ledger.newId();
        ledger.newId();
        ledger.newId();

        LedgerReport report = ledger.compare(Map.of(committed, 1L));

        assertThat(report.isClean()).isTrue();
        assertThat(report.attempted()).isEqualTo(3);
        assertThat(report.pending()).isEqualTo(3);
        assertThat(report.pendingPresent()).isEqualTo(1);
    }

    @Test
    void idsThisLedgerNeverIssuedAreUnexpected() {
        List<Long> acked = acknowledged(2);
        Map<Long, Long> table = once(acked);
        table.put(42L, 1L);
        table.put(7L, 2L); // small ids: a ledger's ids start at epoch-millis * 1e6

        LedgerReport report = ledger.compare(table);

        assertThat(report.isClean()).isFalse();
        assertThat(report.unexpected()).containsExactly(7L, 42L);
        assertThat(report.duplicated()).containsExactly(new LedgerReport.Duplicate(7L, 2));
        assertThat(report.lost()).isEmpty();
    }

    @Test
    void rowsLeftByAnEarlierRunAreUnexpectedAndDoNotHideALoss() {
        Ledger earlierRun = new Ledger();
        long leftover = earlierRun.newId();
        // Runs are at least a millisecond apart; two ledgers created within the same millisecond
        // share ids, which is why the class comment forbids two live ledgers on one table.
        long created = System.currentTimeMillis();
        while (System.currentTimeMillis() == created) {
            Thread.onSpinWait();
        }
        Ledger thisRun = new Ledger();
        long acked = thisRun.newId();
        thisRun.acknowledged(acked);

        LedgerReport report = thisRun.compare(once(List.of(leftover)));

        assertThat(leftover).isLessThan(acked);
        assertThat(report.lost()).containsExactly(acked);
        assertThat(report.unexpected()).containsExactly(leftover);
    }

    @Test
    void idsStartFarFromOneSoThatTheyCannotCollideWithSmallHandMadeIds() {
        assertThat(ledger.newId()).isGreaterThan(1_000_000_000_000_000L);
    }

    @Test
    void conflictingOutcomesThrowNamingTheIdAndBothOutcomes() {
        long id = ledger.newId();
        ledger.acknowledged(id);
        ledger.acknowledged(id); // the same outcome twice is harmless

        assertThatThrownBy(() -> ledger.failed(id))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("id " + id)
                .hasMessageContaining("acknowledged")
                .hasMessageContaining("failed");
        assertThatThrownBy(() -> ledger.unknown(id))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("id " + id)
                .hasMessageContaining("acknowledged")
                .hasMessageContaining("unknown");

        long other = ledger.newId();
        ledger.unknown(other);
        assertThatThrownBy(() -> ledger.acknowledged(other))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("id " + other)
                .hasMessageContaining("unknown")
                .hasMessageContaining("acknowledged");

        // The rejected recordings left the first outcomes in place.
        LedgerReport report = ledger.compare(Map.of(id, 1L));
        assertThat(report.acknowledged()).isEqualTo(1);
        assertThat(report.unknown()).isEqualTo(1);
        assertThat(report.failed()).isZero();
    }

    @Test
    void anOutcomeForAnIdNeverIssuedIsRejected() {
        assertThatThrownBy(() -> ledger.acknowledged(12345L))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("12345");
        assertThat(ledger.compare(Map.of()).attempted()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1ledger", "pgha-ledger", "ledger; DROP TABLE patients", "public.ledger",
            "\"quoted\"", "tablé", "select", "Table",
            "a123456789012345678901234567890123456789012345678901234567890123"})
    void tableNamesThatAreNotPlainIdentifiersAreRejectedByName(String name) {
        assertThatThrownBy(() -> new Ledger(name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + name + "'");
    }

    @Test
    void aNullTableNameIsRejected() {
        assertThatThrownBy(() -> new Ledger(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
    }

    @Test
    void plainIdentifiersAreAcceptedAndUsedInTheSql() {
        String longest = "a12345678901234567890123456789012345678901234567890123456789012"; // 63
        assertThat(new Ledger(longest).table()).isEqualTo(longest);
        assertThat(new Ledger("_Ledger_2").insertSql()).isEqualTo("INSERT INTO _Ledger_2 (id, payload) VALUES (?, ?)");
        assertThat(new Ledger().insertSql()).isEqualTo("INSERT INTO pgha_ledger (id, payload) VALUES (?, ?)");
    }

    @Test
    void summaryStatesTheCountsAndTheFirstOffendingIds() {
        List<Long> acked = acknowledged(14);
        long ghost = ledger.newId();
        ledger.failed(ghost);
        long unknownCommitted = ledger.newId();
        ledger.unknown(unknownCommitted);
        long unknownNot = ledger.newId();
        ledger.unknown(unknownNot);
        ledger.newId(); // pending, absent

        Map<Long, Long> table = once(acked.subList(12, 14)); // ids 0..11 lost
        table.put(acked.get(13), 2L);
        table.put(ghost, 1L);
        table.put(unknownCommitted, 1L);
        table.put(9L, 1L);

        String summary = ledger.compare(table).summary();

        assertThat(summary).isEqualTo("ledger: 14 acknowledged, 12 lost, 1 duplicated, 1 ghosts, 1 unexpected;"
                + " 2 unknown (1 committed, 1 not); 1 failed; 1 pending (0 committed, 1 not); 18 attempted"
                + " | lost: " + join(acked.subList(0, 10)) + ", ... (2 more)"
                + " | duplicated: " + acked.get(13) + " x2"
                + " | ghosts: " + ghost
                + " | unexpected: 9");
    }

    @Test
    void aCleanSummaryListsNoIds() {
        List<Long> acked = acknowledged(1200);
        Map<Long, Long> table = once(acked);
        for (int i = 0; i < 3; i++) {
            long id = ledger.newId();
            ledger.unknown(id);
            if (i < 2) {
                table.put(id, 1L);
            }
        }

        assertThat(ledger.compare(table).toString()).isEqualTo(
                "ledger: 1200 acknowledged, 0 lost, 0 duplicated, 0 ghosts, 0 unexpected;"
                        + " 3 unknown (2 committed, 1 not); 0 failed; 0 pending; 1203 attempted");
    }

    private static String join(List<Long> ids) {
        StringBuilder sb = new StringBuilder();
        for (Iterator<Long> it = ids.iterator(); it.hasNext(); ) {
            sb.append(it.next());
            if (it.hasNext()) {
                sb.append(", ");
            }
        }
        return sb.toString();
    }

    @Test
    void compareRejectsCountsThatNoGroupByCouldProduce() {
        long id = ledger.newId();
        assertThatThrownBy(() -> ledger.compare(Map.of(id, 0L)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(id + " -> 0");
        assertThatThrownBy(() -> ledger.compare(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentWritersGetUniqueIdsAndExactCounts() throws Exception {
        int threads = 4;
        int perThread = 10_000;
        Set<Long> issued = ConcurrentHashMap.newKeySet();
        Map<Long, Long> table = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        long id = ledger.newId();
                        issued.add(id);
                        // Every 10th write fails, every 10th (offset 5) is unknown and commits.
                        switch (i % 10) {
                            case 0 -> ledger.failed(id);
                            case 5 -> {
                                ledger.unknown(id);
                                table.put(id, 1L);
                            }
                            default -> {
                                ledger.acknowledged(id);
                                table.put(id, 1L);
                            }
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        LedgerReport report = ledger.compare(table);

        assertThat(issued).hasSize(threads * perThread);
        assertThat(report.isClean()).as(report.summary()).isTrue();
        assertThat(report.attempted()).isEqualTo(40_000);
        assertThat(report.acknowledged()).isEqualTo(32_000);
        assertThat(report.failed()).isEqualTo(4_000);
        assertThat(report.unknown()).isEqualTo(4_000);
        assertThat(report.unknownPresent()).isEqualTo(4_000);
        assertThat(report.pending()).isZero();
    }

    @Test
    void createTableAndVerifyIssueTheDocumentedSqlAndReadEveryRow() throws Exception {
        Ledger small = new Ledger("ledger_x");
        long a = small.newId();
        small.acknowledged(a);
        long b = small.newId();
        small.acknowledged(b);
        List<String> executed = new ArrayList<>();
        // The driver returns one row per id; b's two rows arrive as one row with count 2.
        Connection c = fakeConnection(executed, List.of(new long[] {a, 1}, new long[] {b, 2}));

        small.createTable(c);
        LedgerReport report = small.verify(c);

        assertThat(executed).containsExactly(
                "CREATE TABLE IF NOT EXISTS ledger_x (id bigint NOT NULL, payload text,"
                        + " written_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "closed Statement",
                "SELECT id, count(*) FROM ledger_x GROUP BY id",
                "closed ResultSet",
                "closed Statement");
        assertThat(report.duplicated()).containsExactly(new LedgerReport.Duplicate(b, 2));
        assertThat(report.lost()).isEmpty();
    }

    /**
     * A JDBC connection faked with dynamic proxies: records executed SQL and closings, and answers
     * every query with the given (id, count) rows.
     */
    private static Connection fakeConnection(List<String> log, List<long[]> rows) {
        return proxy(Connection.class, (p, m, args) -> switch (m.getName()) {
            case "createStatement" -> proxy(Statement.class, (sp, sm, sargs) -> switch (sm.getName()) {
                case "execute" -> {
                    log.add((String) sargs[0]);
                    yield false;
                }
                case "executeQuery" -> {
                    log.add((String) sargs[0]);
                    Iterator<long[]> it = rows.iterator();
                    long[][] current = new long[1][];
                    yield proxy(ResultSet.class, (rp, rm, rargs) -> switch (rm.getName()) {
                        case "next" -> {
                            current[0] = it.hasNext() ? it.next() : null;
                            yield current[0] != null;
                        }
                        case "getLong" -> current[0][(Integer) rargs[0] - 1];
                        case "close" -> {
                            log.add("closed ResultSet");
                            yield null;
                        }
                        default -> throw new UnsupportedOperationException(rm.getName());
                    });
                }
                case "close" -> {
                    log.add("closed Statement");
                    yield null;
                }
                default -> throw new UnsupportedOperationException(sm.getName());
            });
            default -> throw new UnsupportedOperationException(m.getName());
        });
    }

    private static <T> T proxy(Class<T> type, java.lang.reflect.InvocationHandler handler) {
        return type.cast(Proxy.newProxyInstance(LedgerTest.class.getClassLoader(), new Class<?>[] {type}, handler));
    }
}
