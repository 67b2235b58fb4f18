package org.pgha.driver;

import java.sql.SQLTransientConnectionException;

/**
 * No usable node appeared within {@code failoverTimeout}: no primary for a write (or a read
 * falling back to one), or the node a statement needed stayed unreachable. The message gives
 * each node's last known state; each node's last failure is attached as a suppressed
 * exception. Nothing of the statement that raised it was executed. Transient: the same work
 * can succeed once the cluster has a primary again. SQLState {@value PghaSqlState#FAILOVER_TIMEOUT}.
 */
public final class FailoverTimeoutException extends SQLTransientConnectionException {

    private static final long serialVersionUID = 1L;

    public FailoverTimeoutException(String message, Throwable cause) {
        super(message, PghaSqlState.FAILOVER_TIMEOUT, cause);
    }
}
