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

    private TransactionIdQuery() {
    }

    /** Whether {@code sql} may carry the query: one statement, a write by its first keyword. */
    public static boolean appendableTo(String sql) {
        if (sql == null || sql.indexOf(';') >= 0) {
            return false;
        }
        int i = skipSpaceAndComments(sql, 0);
        if (i < 0) {
            return false;
        }
        return keyword(sql, i, "INSERT") || keyword(sql, i, "UPDATE") || keyword(sql, i, "DELETE")
                || keyword(sql, i, "MERGE");
    }

    /** The index of the first character that is neither white space nor in a comment; -1 for an unterminated comment. */
    private static int skipSpaceAndComments(String s, int i) {
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-') {
                int end = s.indexOf('\n', i);
                if (end < 0) {
                    return n;
                }
                i = end + 1;
            } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                // Block comments nest in PostgreSQL.
                int depth = 1;
                i += 2;
                while (depth > 0) {
                    if (i + 1 >= n) {
                        return -1;
                    }
                    if (s.charAt(i) == '/' && s.charAt(i + 1) == '*') {
                        depth++;
                        i += 2;
                    } else if (s.charAt(i) == '*' && s.charAt(i + 1) == '/') {
                        depth--;
                        i += 2;
                    } else {
                        i++;
                    }
                }
            } else {
                return i;
            }
        }
        return i;
    }

    private static boolean keyword(String sql, int i, String word) {
        int end = i + word.length();
        return sql.regionMatches(true, i, word, 0, word.length())
                && end < sql.length() && !(Character.isLetterOrDigit(sql.charAt(end)) || sql.charAt(end) == '_');
    }
}
