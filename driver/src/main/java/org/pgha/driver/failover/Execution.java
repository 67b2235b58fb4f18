package org.pgha.driver.failover;

import java.sql.SQLException;
import java.sql.Statement;

/** One execution method of a physical statement, as the application called it: the journal runs it again. */
@FunctionalInterface
public interface Execution<R> {
    R run(Statement physical) throws SQLException;
}
