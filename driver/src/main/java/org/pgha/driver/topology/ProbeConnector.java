package org.pgha.driver.topology;

import java.sql.Connection;
import java.sql.SQLException;
import org.pgha.driver.config.HostSpec;

/** Opens a probe connection to one node. */
@FunctionalInterface
public interface ProbeConnector {
    Connection connect(HostSpec host) throws SQLException;
}
