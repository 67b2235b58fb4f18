package org.pgha.driver.failover;

import java.util.Locale;
import java.util.Set;

/** The few things pgha reads from a statement's SQL text: its leading keywords, past white space and comments. */
public final class SqlText {

    /**
     * Statements PostgreSQL refuses inside a transaction block, or that end or start one, or
     * that may (a procedure or a {@code DO} block can COMMIT): never wrapped in a transaction of pgha's.
     */
    private static final Set<String> OUTSIDE_TRANSACTION_BLOCK = Set.of("VACUUM", "BEGIN", "START", "COMMIT", "END",
            "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE", "CALL", "DO", "CLUSTER", "DISCARD", "CHECKPOINT");

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
        String first = word(sql, 0);
        if (first.isEmpty() || OUTSIDE_TRANSACTION_BLOCK.contains(first)) {
            return false;
        }
        String upper = sql.toUpperCase(Locale.ROOT);
        switch (first) {
            case "CREATE":
            case "DROP":
            case "ALTER":
            case "REINDEX":
                // CREATE/DROP DATABASE, TABLESPACE, SUBSCRIPTION; ALTER SYSTEM; ... CONCURRENTLY; REINDEX SYSTEM/DATABASE
                return !(upper.contains("CONCURRENTLY") || upper.contains("DATABASE") || upper.contains("TABLESPACE")
                        || upper.contains("SUBSCRIPTION") || upper.contains("SYSTEM"));
            default:
                return true;
        }
    }

    /** The word that starts at the first character past white space and comments, upper-cased; empty if none. */
    static String word(String sql, int from) {
        int i = skipSpaceAndComments(sql, from);
        if (i < 0) {
            return "";
        }
        int end = i;
        while (end < sql.length() && (Character.isLetter(sql.charAt(end)) || sql.charAt(end) == '_')) {
            end++;
        }
        return sql.substring(i, end).toUpperCase(Locale.ROOT);
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
