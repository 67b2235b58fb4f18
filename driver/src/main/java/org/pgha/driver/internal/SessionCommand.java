package org.pgha.driver.internal;

/**
 * Recognises the statements that change session state and must be run again on a new
 * physical connection: {@code SET name ...} (not {@code SET LOCAL}, {@code SET TRANSACTION},
 * {@code SET CONSTRAINTS} or {@code SET SESSION CHARACTERISTICS}, which end with their
 * transaction or are the API's business), {@code RESET name}, and {@code RESET ALL} /
 * {@code DISCARD ALL}, which undo everything before them. Checked after every statement with
 * SQL text, so it looks at a few characters only.
 */
enum SessionCommand {
    NONE, SET, RESET_ALL;

    static SessionCommand of(String sql) {
        if (sql == null) {
            return NONE;
        }
        int i = skipSpace(sql, 0);
        if (i >= sql.length()) {
            return NONE;
        }
        char c = sql.charAt(i);
        if (c != 's' && c != 'S' && c != 'r' && c != 'R' && c != 'd' && c != 'D') {
            return NONE;
        }
        String first = word(sql, i);
        String second = word(sql, skipSpace(sql, i + first.length()));
        switch (first.toUpperCase(java.util.Locale.ROOT)) {
            case "SET":
                switch (second.toUpperCase(java.util.Locale.ROOT)) {
                    case "LOCAL":
                    case "TRANSACTION":
                    case "CONSTRAINTS":
                    case "SESSION":
                        return second.equalsIgnoreCase("SESSION") && !isSessionCharacteristics(sql, i) ? SET : NONE;
                    case "":
                        return NONE;
                    default:
                        return SET;
                }
            case "RESET":
                return second.equalsIgnoreCase("ALL") ? RESET_ALL : second.isEmpty() ? NONE : SET;
            case "DISCARD":
                return second.equalsIgnoreCase("ALL") ? RESET_ALL : NONE;
            default:
                return NONE;
        }
    }

    /** {@code SET SESSION CHARACTERISTICS AS TRANSACTION ...}, unlike {@code SET SESSION name = ...}. */
    private static boolean isSessionCharacteristics(String sql, int start) {
        int i = skipSpace(sql, start + 3);
        i = skipSpace(sql, i + word(sql, i).length());
        return word(sql, i).equalsIgnoreCase("CHARACTERISTICS");
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
}
