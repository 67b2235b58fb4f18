package org.pgha.driver.topology;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What one probe of a node found: its role, WAL position, timeline, system identifier,
 * flushed position (a primary's) and postmaster start time, read in one round trip.
 */
record ProbeResult(boolean primary, long lsn, int timeline, long systemIdentifier, long flushLsn, long startedMicros) {

    /**
     * One round trip: role, WAL position, timeline, system identifier. A replica's timeline is
     * {@code received_tli}, which needs {@code pg_read_all_stats}; without that privilege, or
     * while no WAL receiver runs, the last restartpoint's timeline stands in. It is never newer
     * than the truth, so a replica that did not switch to the new timeline is never taken for one
     * that did.
     */
    static final String SQL = "SELECT r,"
            + " (CASE WHEN r THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text,"
            + " CASE WHEN r THEN COALESCE((SELECT received_tli FROM pg_stat_wal_receiver),"
            + " (SELECT timeline_id FROM pg_control_checkpoint()))"
            + " ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,"
            + " (SELECT system_identifier FROM pg_control_system()),"
            + " CASE WHEN r THEN NULL ELSE pg_current_wal_flush_lsn()::text END,"
            + " (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint"
            + " FROM pg_is_in_recovery() AS r";

    /** Runs the probe query on {@code c}. */
    static ProbeResult of(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(SQL)) {
            rs.next();
            boolean recovery = rs.getBoolean(1);
            String lsn = rs.getString(2);
            int timeline = rs.getInt(3);
            long systemIdentifier = rs.getLong(4);
            String flush = rs.getString(5);
            long started = rs.getLong(6);
            long position = lsn == null ? -1 : Lsn.parse(lsn);
            // Read after the write position, the flushed one may have passed it meanwhile.
            return new ProbeResult(!recovery, position, timeline, systemIdentifier,
                    flush == null ? -1 : Math.min(position, Lsn.parse(flush)), started);
        }
    }
}
