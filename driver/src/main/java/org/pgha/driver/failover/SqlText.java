package org.pgha.driver.failover;

import java.util.Locale;

/** The few things pgha reads from a statement's SQL text: its leading keywords, past white space and comments. */
public final class SqlText {

    /**
     * Statements PostgreSQL refuses inside a transaction block, or that end or start one, or
     * that may (a procedure or a {@code DO} block can COMMIT): never wrapped in a transaction of pgha's.
     */
    private static final String[] OUTSIDE_TRANSACTION_BLOCK = {"VACUUM", "BEGIN", "START", "COMMIT", "END",
        "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE", "CALL", "DO", "CLUSTER", "DISCARD", "CHECKPOINT"};

    /** DDL that PostgreSQL runs only outside a transaction block when it names one of these words. */
    private static final String[] OUTSIDE_TRANSACTION_BLOCK_DDL = {"CREATE", "DROP", "ALTER", "REINDEX"};

    private SqlText() {
    }

    /**
     * Whether {@code sql} can run inside a transaction block of pgha's ({@code exactlyOnceAutocommit}):
     * one statement (no {@code ;}), not one of those PostgreSQL runs only outside a block
     * ({@code VACUUM}, {@code CREATE INDEX CONCURRENTLY}, {@code CREATE DATABASE},
     * {@code ALTER SYSTEM}, ...), not transaction control, not {@code CALL} or {@code DO}.
     */
    public static boolean fitsInTransaction(String sql) {
        if (sql == null || sql.indexOf(';') >= 0) {
            return false;
        }
        int i = skipSpaceAndComments(sql, 0);
        if (i < 0 || i >= sql.length() || startsWithAny(sql, i, OUTSIDE_TRANSACTION_BLOCK)) {
            return false;
        }
        if (!startsWithAny(sql, i, OUTSIDE_TRANSACTION_BLOCK_DDL)) {
            return true;
        }
        // CREATE/DROP DATABASE, TABLESPACE, SUBSCRIPTION; ALTER SYSTEM; ... CONCURRENTLY; REINDEX SYSTEM/DATABASE
        String upper = sql.toUpperCase(Locale.ROOT);
        return !(upper.contains("CONCURRENTLY") || upper.contains("DATABASE") || upper.contains("TABLESPACE")
                || upper.contains("SUBSCRIPTION") || upper.contains("SYSTEM"));
    }

    /**
     * Whether the first word of {@code sql}, past white space and comments, is one of
     * {@code words} (upper case), compared in place: nothing is allocated.
     */
    public static boolean startsWithAny(String sql, String... words) {
        int i = skipSpaceAndComments(sql, 0);
        return i >= 0 && startsWithAny(sql, i, words);
    }

    private static boolean startsWithAny(String sql, int i, String[] words) {
        for (String word : words) {
            int end = i + word.length();
            if (sql.regionMatches(true, i, word, 0, word.length())
                    && (end == sql.length() || !(Character.isLetterOrDigit(sql.charAt(end)) || sql.charAt(end) == '_'))) {
                return true;
            }
        }
        return false;
    }

    /** The index of the first character that is neither white space nor in a comment; -1 for an unterminated comment. */
    static int skipSpaceAndComments(String s, int i) {
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
}
