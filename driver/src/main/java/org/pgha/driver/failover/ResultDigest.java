package org.pgha.driver.failover;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * What an application read of one result: how many rows it moved onto, a 64-bit digest of
 * every value of those rows, and whether it saw the end. A replayed transaction is trusted
 * only if each of its results gives the same digest over the same rows.
 *
 * <p>Values are digested as the Java objects pgjdbc returns ({@code getObject}), not as wire
 * bytes, so that the same value gives the same digest whether it arrived in text or binary
 * format (pgjdbc switches to binary after a statement's {@code prepareThreshold} executions,
 * and a replayed statement starts afresh). Whole rows are digested, not only the columns the
 * application asked for: stricter, and it needs no record of which getter was called.
 */
public final class ResultDigest {

    private static final long OFFSET = 0xcbf29ce484222325L;
    private static final long PRIME = 0x100000001b3L;

    private int rows;
    private long digest = OFFSET;
    private boolean ended;
    private int columns = -1;

    /** The application moved onto the current row of {@code rs}. */
    public void row(ResultSet rs) throws SQLException {
        if (columns < 0) {
            columns = rs.getMetaData().getColumnCount();
        }
        for (int i = 1; i <= columns; i++) {
            value(rs.getObject(i));
        }
        rows++;
    }

    /** The application saw that there are no more rows. */
    public void end() {
        ended = true;
    }

    /**
     * Moves {@code replayed} over the rows the application read, digesting them, and returns
     * null if they are the same, or what differs; {@code replayed} is left where the
     * application's result set is.
     */
    public String compare(ResultSet replayed) throws SQLException {
        ResultDigest again = new ResultDigest();
        for (int i = 0; i < rows; i++) {
            if (!replayed.next()) {
                return "it has " + i + " rows where " + rows + " were read";
            }
            again.row(replayed);
        }
        if (again.digest != digest) {
            return "the " + rows + " rows read differ";
        }
        if (ended && replayed.next()) {
            return "it has more than the " + rows + " rows read";
        }
        return null;
    }

    private void value(Object value) throws SQLException {
        if (value == null) {
            mix(0);
            return;
        }
        if (value instanceof byte[] bytes) {
            mix(1);
            mixLength(bytes.length);
            for (byte b : bytes) {
                mix(b);
            }
            return;
        }
        if (value instanceof Array array) {
            mix(2);
            text(java.util.Arrays.deepToString(new Object[] {array.getArray()}));
            return;
        }
        if (value instanceof String text) {
            mix(3);
            text(text);
            return;
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short) {
            // Without making a string: these are most values, and read on every row.
            mix(4);
            long v = ((Number) value).longValue();
            for (int shift = 0; shift < 64; shift += 8) {
                mix((int) (v >>> shift));
            }
            return;
        }
        mix(3);
        text(value.toString());
    }

    private void text(String s) {
        mixLength(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            mix(c & 0xff);
            mix(c >>> 8);
        }
    }

    private void mixLength(int length) {
        mix(length & 0xff);
        mix((length >>> 8) & 0xff);
        mix((length >>> 16) & 0xff);
        mix(length >>> 24);
    }

    /** FNV-1a, one byte at a time. */
    private void mix(int b) {
        digest = (digest ^ (b & 0xff)) * PRIME;
    }
}
