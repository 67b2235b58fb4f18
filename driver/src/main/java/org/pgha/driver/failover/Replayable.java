package org.pgha.driver.failover;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** A statement whose executions the {@link Journal} records and runs again on another node. */
public interface Replayable {

    /** The parameters and pending batch as they are now. */
    Parameters parameters();

    /**
     * The physical statement on the replaying connection, with the parameters an execution
     * had: the journal runs the execution on it.
     */
    Statement replayOn(Connection physical, Parameters parameters) throws SQLException;

    /** After the journal ran an execution on {@code physical}: a statement the application closed closes it. */
    void replayed(Statement physical) throws SQLException;

    /** Whether the application closed this statement. */
    boolean closedByApplication();

    /**
     * After a replay: the parameters and batch the application has set since, back in place.
     * Those that cannot be set again fail the next execution.
     */
    void restoreParameters() throws SQLException;
}
