package org.pgha.driver.jdbc;

import java.util.Locale;

/**
 * What a statement does to its session, read from its SQL text after it succeeded. Checked
 * after every statement with SQL text, so it looks at a few characters only, and scans the
 * text for function names only when nothing else matched.
 *
 * <ul>
 *   <li>{@link Kind#SET}: {@code SET name ...}, {@code SET ROLE}, {@code SET SESSION
 *       AUTHORIZATION} (not {@code SET LOCAL}, {@code SET TRANSACTION}, {@code SET CONSTRAINTS}
 *       or {@code SET SESSION CHARACTERISTICS}, which end with their transaction or are the
 *       API's business): run again on a new physical connection, the last one per parameter;</li>
 *   <li>{@link Kind#RESET}: {@code RESET name}; {@link Kind#RESET_ALL}: {@code RESET ALL},
 *       which leaves the role and the session authorization alone; {@link Kind#DISCARD_ALL}:
 *       {@code DISCARD ALL}, which undoes everything;</li>
 *   <li>{@link Kind#UNTRACKED}: session state that cannot be carried to another connection
 *       ({@code set_config}, session advisory locks, {@code LISTEN}, temporary tables,
 *       cursors, {@code PREPARE}), but must not reach the next borrower of a pooled one.</li>
 * </ul>
 */
record SessionCommand(Kind kind, String parameter, String sql) {

    enum Kind {
        NONE, SET, RESET, RESET_ALL, DISCARD_ALL, UNTRACKED,
        /** A named prepared statement ({@code PREPARE}): the connection is not given back to a pool, but closed. */
        PREPARE
    }

    static final SessionCommand NONE = new SessionCommand(Kind.NONE, null, null);
    private static final SessionCommand RESET_ALL = new SessionCommand(Kind.RESET_ALL, null, null);
    private static final SessionCommand DISCARD_ALL = new SessionCommand(Kind.DISCARD_ALL, null, null);
    private static final SessionCommand UNTRACKED = new SessionCommand(Kind.UNTRACKED, null, null);
    private static final SessionCommand PREPARE = new SessionCommand(Kind.PREPARE, null, null);

    /** The parameters {@code SET SESSION AUTHORIZATION} and {@code SET ROLE} set. */
    static final String SESSION_AUTHORIZATION = "session_authorization";
    static final String ROLE = "role";

    static SessionCommand of(String sql) {
        if (sql == null) {
            return NONE;
        }
        int i = skipSpace(sql, 0);
        if (i >= sql.length()) {
            return NONE;
        }
        // Keywords are compared in place: most statements allocate nothing here.
        switch (Character.toUpperCase(sql.charAt(i))) {
            case 'S':
                if (keyword(sql, i, "SET")) {
                    return set(sql, skipSpace(sql, i + 3));
                }
                break;
            case 'R':
                if (keyword(sql, i, "RESET")) {
                    return reset(sql, skipSpace(sql, i + 5));
                }
                break;
            case 'D':
                if (keyword(sql, i, "DISCARD")) {
                    return keyword(sql, skipSpace(sql, i + 7), "ALL") ? DISCARD_ALL : NONE;
                }
                if (keyword(sql, i, "DECLARE")) {
                    return UNTRACKED;
                }
                break;
            case 'L':
                if (keyword(sql, i, "LISTEN")) {
                    return UNTRACKED;
                }
                break;
            case 'P':
                if (keyword(sql, i, "PREPARE")) {
                    return keyword(sql, skipSpace(sql, i + 7), "TRANSACTION") ? NONE : PREPARE;
                }
                break;
            case 'C':
                if (keyword(sql, i, "CREATE")) {
                    return createsTemporary(sql, skipSpace(sql, i + 6)) ? UNTRACKED : NONE;
                }
                break;
            default:
                break;
        }
        return callsSessionFunction(sql) ? UNTRACKED : NONE;
    }

    /** Whether {@code word} stands at {@code i}, in any case, as a whole word. */
    private static boolean keyword(String sql, int i, String word) {
        int end = i + word.length();
        return sql.regionMatches(true, i, word, 0, word.length())
                && (end == sql.length() || !(Character.isLetterOrDigit(sql.charAt(end)) || sql.charAt(end) == '_'));
    }

    private static SessionCommand set(String sql, int i) {
        String second = word(sql, i);
        switch (second.toUpperCase(Locale.ROOT)) {
            case "":
            case "LOCAL":
            case "TRANSACTION":
            case "CONSTRAINTS":
                return NONE;
            case "SESSION": {
                int j = skipSpace(sql, i + second.length());
                String third = word(sql, j);
                if (third.equalsIgnoreCase("CHARACTERISTICS")) {
                    return NONE;
                }
                if (third.equalsIgnoreCase("AUTHORIZATION")) {
                    return new SessionCommand(Kind.SET, SESSION_AUTHORIZATION, sql);
                }
                return parameterAt(Kind.SET, sql, j);
            }
            default:
                return parameterAt(Kind.SET, sql, i);
        }
    }

    private static SessionCommand reset(String sql, int i) {
        String second = word(sql, i);
        if (second.isEmpty()) {
            return NONE;
        }
        if (second.equalsIgnoreCase("ALL")) {
            return RESET_ALL;
        }
        if (second.equalsIgnoreCase("SESSION") && word(sql, skipSpace(sql, i + second.length())).equalsIgnoreCase("AUTHORIZATION")) {
            return new SessionCommand(Kind.RESET, SESSION_AUTHORIZATION, sql);
        }
        return parameterAt(Kind.RESET, sql, i);
    }

    /** The parameter named at {@code i}, by its name in {@code pg_settings} where SQL spells it otherwise. */
    private static SessionCommand parameterAt(Kind kind, String sql, int i) {
        String name = name(sql, i);
        if (name.isEmpty()) {
            // A quoted or otherwise unusual name: its own entry, so nothing is lost.
            return new SessionCommand(kind, sql.trim(), sql);
        }
        String key = name.toLowerCase(Locale.ROOT);
        switch (key) {
            case "time":
                key = "timezone";
                break;
            case "schema":
                key = "search_path";
                break;
            case "names":
                key = "client_encoding";
                break;
            case "xml":
                key = "xmloption";
                break;
            default:
                break;
        }
        return new SessionCommand(kind, key, sql);
    }

    /** {@code CREATE TEMP|TEMPORARY|LOCAL TEMP|GLOBAL TEMP ...} and {@code CREATE ... pg_temp.}. */
    private static boolean createsTemporary(String sql, int i) {
        String w = word(sql, i);
        if (w.equalsIgnoreCase("LOCAL") || w.equalsIgnoreCase("GLOBAL") || w.equalsIgnoreCase("OR")) {
            return createsTemporary(sql, skipSpace(sql, i + w.length()));
        }
        if (w.equalsIgnoreCase("REPLACE")) {
            return createsTemporary(sql, skipSpace(sql, i + w.length()));
        }
        return w.equalsIgnoreCase("TEMP") || w.equalsIgnoreCase("TEMPORARY") || containsIgnoreCase(sql, "pg_temp");
    }

    /**
     * Whether the statement calls a function that changes its session for longer than the
     * statement: {@code set_config} (a role or setting), a session-level advisory lock
     * ({@code pg_advisory_lock}, {@code pg_try_advisory_lock}, shared or not; the
     * {@code _xact_} ones end with their transaction), or creates a temporary table with
     * {@code INTO TEMP}. Most statements have no underscore after position 3 and are done at
     * the first scan.
     */
    private static boolean callsSessionFunction(String sql) {
        for (int u = sql.indexOf('_', 3); u >= 0; u = sql.indexOf('_', u + 1)) {
            if (sql.regionMatches(true, u - 3, "set_config", 0, 10)
                    || sql.regionMatches(true, u - 8, "advisory_lock", 0, 13)
                    || sql.regionMatches(true, u - 2, "pg_temp", 0, 7)) {
                return true;
            }
        }
        return false;
    }

    private static boolean containsIgnoreCase(String s, String part) {
        for (int i = 0; i + part.length() <= s.length(); i++) {
            if (s.regionMatches(true, i, part, 0, part.length())) {
                return true;
            }
        }
        return false;
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static String word(String s, int i) {
        int end = i;
        while (end < s.length() && (Character.isLetterOrDigit(s.charAt(end)) || s.charAt(end) == '_')) {
            end++;
        }
        return s.substring(i, end);
    }

    /** A parameter name: a word, with dots for the custom ones ({@code myapp.user_id}). */
    private static String name(String s, int i) {
        int end = i;
        while (end < s.length() && (Character.isLetterOrDigit(s.charAt(end)) || s.charAt(end) == '_' || s.charAt(end) == '.'
                || s.charAt(end) == '$')) {
            end++;
        }
        return s.substring(i, end);
    }
}
