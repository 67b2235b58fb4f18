package org.pgha.driver.topology;

/**
 * WAL positions as pgha handles them: a byte offset ({@code pg_lsn - '0/0'}), {@value #UNKNOWN}
 * when not known. Offsets compare as WAL order only within one timeline's history; the routing
 * code never compares positions taken on different timelines (see {@code Router}).
 */
public final class Lsn {

    /** The byte offset that stands for "not known" everywhere in pgha. */
    public static final long UNKNOWN = -1L;

    private Lsn() {
    }

    /**
     * PostgreSQL's text form of a byte offset ({@code 16/B374D848}: the high and low 32 bits
     * in upper-case hexadecimal), as in server logs and {@code pg_stat_replication}, so that
     * messages can be matched against them; {@code "unknown"} for a negative offset.
     */
    public static String format(long lsn) {
        if (lsn < 0) {
            return "unknown";
        }
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
    }

    /**
     * The byte offset of PostgreSQL's text form, such as {@code 0/3000060}.
     *
     * @throws IllegalArgumentException if the text is not a WAL position
     */
    public static long parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 1 || slash > 8 || slash == text.length() - 1 || text.length() - slash - 1 > 8) {
            throw new IllegalArgumentException("not a WAL position: '" + text + "'");
        }
        for (int i = 0; i < text.length(); i++) {
            if (i != slash && Character.digit(text.charAt(i), 16) < 0) {
                throw new IllegalArgumentException("not a WAL position: '" + text + "'");
            }
        }
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }
}
