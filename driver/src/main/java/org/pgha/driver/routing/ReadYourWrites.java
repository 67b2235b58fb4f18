package org.pgha.driver.routing;

import java.sql.SQLException;
import org.pgha.driver.topology.Lsn;

/**
 * What one logical connection's reads must see: its own writes and, with a wider
 * {@code readYourWritesScope}, those of its thread or its DataSource (the last acknowledged at
 * {@link #lastWriteAck()}, when {@code readYourWrites} is on), and the WAL position and timeline
 * of every consistency token it was given.
 */
public final class ReadYourWrites {

    private final boolean ownWrites;
    private final WriteMarks shared;
    private long lastWriteAckNanos = Long.MIN_VALUE;
    private long minLsn = -1;
    /** The timeline of the highest token given, 0 for none. */
    private int minTimeline;

    /** @param ownWrites {@code readYourWrites}: whether reads must see this connection's own writes */
    public ReadYourWrites(boolean ownWrites) {
        this(ownWrites, WriteMarks.CONNECTION);
    }

    /**
     * @param ownWrites {@code readYourWrites}: whether reads must see the writes of the scope
     * @param shared the marks of the DataSource, for a scope wider than the connection
     */
    public ReadYourWrites(boolean ownWrites, WriteMarks shared) {
        this.ownWrites = ownWrites;
        this.shared = shared;
    }

    /** A write on the primary was acknowledged at {@code nanos} (the monitor's clock), on the calling thread. */
    public void acknowledged(long nanos) {
        lastWriteAckNanos = nanos;
        if (ownWrites) {
            shared.acknowledged(nanos);
        }
    }

    /**
     * When the last write this connection's reads must see was acknowledged (its own, and with
     * {@code readYourWrites} on, its scope's), or {@link Long#MIN_VALUE} if none was.
     */
    public long lastWriteAck() {
        return ownWrites ? WriteMarks.later(lastWriteAckNanos, shared.lastAcknowledged()) : lastWriteAckNanos;
    }

    /** What the router must respect for this connection's next read. */
    public ReadConsistency consistency() {
        long writeAck = ownWrites ? lastWriteAck() : Long.MIN_VALUE;
        if (writeAck == Long.MIN_VALUE && minLsn < 0 && minTimeline == 0) {
            return ReadConsistency.NONE;
        }
        return new ReadConsistency(writeAck, minLsn, minTimeline);
    }

    /**
     * The token for a primary position at or after every write this connection must see:
     * {@code lsn@timeline}, or the position alone with no timeline known.
     *
     * @param written the primary's position after the last acknowledged write, or -1 if none
     * @param writtenTimeline its timeline, 0 if unknown
     */
    public String token(long written, int writtenTimeline) {
        long lsn = Math.max(Math.max(minLsn, 0), written);
        int timeline = Math.max(minTimeline, writtenTimeline);
        return timeline > 0 ? Lsn.format(lsn) + "@" + timeline : Lsn.format(lsn);
    }

    /**
     * Reads must from now on see the position of a token from
     * {@link org.pgha.driver.PghaConnection#consistencyToken()}.
     *
     * @throws SQLException with SQLState 22023 if the token is not one
     */
    public void require(String token) throws SQLException {
        String text = token == null ? null : token.trim();
        try {
            int at = text == null ? -1 : text.indexOf('@');
            int timeline = 0;
            if (at >= 0) {
                timeline = Integer.parseInt(text.substring(at + 1));
                if (timeline < 1) {
                    throw new IllegalArgumentException("timeline " + timeline);
                }
                text = text.substring(0, at);
            }
            long lsn = Lsn.parse(text);
            minLsn = Math.max(minLsn, lsn);
            minTimeline = Math.max(minTimeline, timeline);
        } catch (IllegalArgumentException e) {
            throw new SQLException("Invalid consistency token '" + token + "': expected a value from consistencyToken(),"
                    + " such as 16/B374D848@2 (a WAL position and its timeline)", "22023", e);
        }
    }
}
