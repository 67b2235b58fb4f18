package org.pgha.driver.topology;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * What one probe of a node found: its role, WAL position, timeline, system identifier,
 * flushed position (a primary's) and postmaster start time, read in one round trip. A replica
 * also reports the WAL it has received and flushed ({@code pg_last_wal_receive_lsn()}) and the
 * name its WAL receiver gives the primary; a primary its {@code synchronous_commit} and the
 * names of the standbys it waits for ({@code sync_state = 'sync'}), from which the monitor
 * learns which standby holds every acknowledged commit ({@link SyncWitnesses}).
 *
 * @param receiveLsn a replica's received and flushed WAL position, {@value Lsn#UNKNOWN} if
 *     unknown (a primary, or no WAL receiver started)
 * @param walName a replica's WAL receiver {@code application_name}: from
 *     {@code pg_stat_wal_receiver.conninfo} (needs {@code pg_read_all_stats}), else its
 *     {@code cluster_name}; null if neither is known
 * @param synchronousCommit a primary's {@code synchronous_commit}, null on a replica
 * @param syncStandbys the {@code application_name}s a primary's {@code pg_stat_replication}
 *     shows with {@code sync_state = 'sync'}, each only if no other WAL sender there has the same
 *     name (empty without {@code pg_read_all_stats}, which hides the column); empty on a replica
 */
record ProbeResult(boolean primary, long lsn, int timeline, long systemIdentifier, long flushLsn, long startedMicros,
        long receiveLsn, String walName, String synchronousCommit, List<String> syncStandbys) {

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
            + " (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint,"
            + " CASE WHEN r THEN pg_last_wal_receive_lsn()::text END,"
            + " CASE WHEN r THEN COALESCE((SELECT substring(conninfo FROM '(?:^|\\s)application_name=''?([^'' ]+)')"
            + " FROM pg_stat_wal_receiver), (SELECT substring(conninfo FROM 'fallback_application_name=''?([^'' ]+)')"
            + " FROM pg_stat_wal_receiver), NULLIF(current_setting('cluster_name'), '')) END,"
            + " CASE WHEN r THEN NULL ELSE current_setting('synchronous_commit') END,"
            + " CASE WHEN r THEN NULL ELSE (SELECT string_agg(application_name, E'\\n') FROM pg_stat_replication"
            + " WHERE sync_state = 'sync' AND application_name IN (SELECT application_name FROM pg_stat_replication"
            + " GROUP BY 1 HAVING count(*) = 1)) END"
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
            String received = rs.getString(7);
            String walName = rs.getString(8);
            String synchronousCommit = rs.getString(9);
            String sync = rs.getString(10);
            long position = lsn == null ? -1 : Lsn.parse(lsn);
            // Read after the write position, the flushed one may have passed it meanwhile.
            return new ProbeResult(!recovery, position, timeline, systemIdentifier,
                    flush == null ? -1 : Math.min(position, Lsn.parse(flush)), started,
                    received == null ? Lsn.UNKNOWN : Lsn.parse(received), walName, synchronousCommit,
                    sync == null || sync.isEmpty() ? List.of() : List.of(sync.split("\n")));
        }
    }
}
