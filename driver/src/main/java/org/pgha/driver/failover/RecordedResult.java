package org.pgha.driver.failover;

import java.sql.ResultSet;
import java.sql.SQLException;

/** A result set handed to the application inside a replayable transaction, recording what was read. */
public interface RecordedResult {

    /** What the application read. */
    ResultDigest digest();

    /** Continues on the replayed result, positioned where this one is (see {@link ResultDigest#compare}). */
    void continueOn(ResultSet replayed) throws SQLException;
}
