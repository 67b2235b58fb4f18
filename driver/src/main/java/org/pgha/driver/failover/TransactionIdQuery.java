package org.pgha.driver.failover;

/**
 * The query that reads a transaction's id and the WAL insert position, sent in the same round
 * trip as a write of the transaction, appended to its SQL: pgjdbc sends both statements of the
 * text together and answers them together, so the id is known before the COMMIT is sent, at no
 * round trip of its own.
 *
 * <p>Only SQL that is one statement starting with {@code INSERT}, {@code UPDATE},
 * {@code DELETE} or {@code MERGE} is sent so: it has one result, so hiding the query's result
 * behind it is exact, and it is the statement that assigns the id. Any other statement leaves
 * the id to be read before the COMMIT, as a query of its own (see {@link FailoverPath#commit}).
 */
public final class TransactionIdQuery {

    /**
     * Appended to the application's SQL; the line break ends a trailing {@code --} comment.
     * The insert position taken after the statement that assigned the id lies above every record
     * that carries the id, which is what {@link CommitOutcome#trust} compares with.
     */
    public static final String APPENDED =
            "\n;SELECT pg_current_xact_id_if_assigned()::text, pg_current_wal_insert_lsn()::text";

    private static final String[] WRITES = {"INSERT", "UPDATE", "DELETE", "MERGE"};

    private TransactionIdQuery() {
    }

    /** Whether {@code sql} may carry the query: one statement, a write by its first keyword. */
    public static boolean appendableTo(String sql) {
        if (sql == null || sql.indexOf(';') >= 0) {
            return false;
        }
        return SqlText.startsWithAny(sql, WRITES);
    }
}
