package org.pgha.driver;

import java.sql.SQLException;

/**
 * Overrides pgha's verdict on a failure, as HikariCP's {@code SQLExceptionOverride} does for
 * eviction: for example to treat a vendor-specific error of a proxy in front of the nodes as
 * {@link FailureVerdict#NODE_LOST}. Set it with {@code PghaDataSource.setExceptionOverride}. It
 * runs on the thread that saw the failure; an exception it throws is logged and pgha's verdict
 * stands.
 */
@FunctionalInterface
public interface PghaExceptionOverride {

    /**
     * @param failure what the physical connection threw
     * @param verdict pgha's own verdict
     * @return the verdict to act on; null keeps pgha's
     */
    FailureVerdict adjudicate(SQLException failure, FailureVerdict verdict);
}
