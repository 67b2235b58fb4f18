package org.pgha.driver.failover;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SqlTextTest {

    @ParameterizedTest
    @ValueSource(strings = {"INSERT INTO t VALUES (1)", "  update t set v = 1", "-- why\nDELETE FROM t",
        "/* a /* nested */ comment */ MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE"})
    void aSingleWriteCarriesTheIdQuery(String sql) {
        assertThat(TransactionIdQuery.appendableTo(sql)).isTrue();
        assertThat(SqlText.fitsInTransaction(sql)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT f()", "WITH w AS (INSERT INTO t VALUES (1) RETURNING 1) SELECT 1",
        "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (';')", "/* unterminated INSERT",
        "INSERTX INTO t", "", "   "})
    void anythingElseDoesNot(String sql) {
        assertThat(TransactionIdQuery.appendableTo(sql)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"VACUUM t", "vacuum", "CREATE INDEX CONCURRENTLY i ON t (v)", "DROP INDEX CONCURRENTLY i",
        "REINDEX INDEX CONCURRENTLY i", "CREATE DATABASE d", "DROP DATABASE d", "ALTER SYSTEM SET work_mem = '8MB'",
        "CREATE TABLESPACE s LOCATION '/x'", "BEGIN", "start transaction", "COMMIT", "END", "ROLLBACK", "SAVEPOINT s",
        "PREPARE TRANSACTION 'x'", "COMMIT PREPARED 'x'", "CALL p()", "DO $$ BEGIN COMMIT; END $$", "DISCARD ALL",
        "CLUSTER", "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)", "  /* c */ vacuum analyze t"})
    void statementsPostgresqlRunsOnlyOutsideATransactionBlockAreNotWrapped(String sql) {
        assertThat(SqlText.fitsInTransaction(sql)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT 1", "CREATE INDEX i ON t (v)", "CREATE TABLE t (id int)", "ALTER TABLE t ADD c int",
        "TRUNCATE t", "COPY t FROM STDIN", "WITH w AS (DELETE FROM t RETURNING 1) SELECT count(*) FROM w"})
    void otherStatementsAre(String sql) {
        assertThat(SqlText.fitsInTransaction(sql)).isTrue();
    }
}
