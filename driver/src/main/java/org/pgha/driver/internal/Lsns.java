package org.pgha.driver.internal;

/** PostgreSQL's text form of a WAL position ({@code 16/B374D848}) to and from a byte offset. */
public final class Lsns {

    private Lsns() {
    }

    /**
     * The byte offset of a WAL position such as {@code 0/3000060}.
     *
     * @throws IllegalArgumentException if the text is not a WAL position
     */
    public static long parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 1 || slash == text.length() - 1 || slash > 8 || text.length() - slash - 1 > 8) {
            throw new IllegalArgumentException("not a WAL position: '" + text + "'");
        }
        try {
            return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a WAL position: '" + text + "'", e);
        }
    }

    /** The text form of a byte offset, as PostgreSQL prints it. */
    public static String format(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
    }
}
