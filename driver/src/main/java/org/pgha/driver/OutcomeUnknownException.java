package org.pgha.driver;

import java.sql.SQLRecoverableException;

/**
 * The node was lost while a write was in flight, and whether it committed cannot be known:
 * an autocommit write, or a commit whose transaction id could not be looked up on the new
 * primary. The application must find out (read back the row, use an idempotency key) before
 * it runs the write again: a blind retry may write twice. SQLState
 * {@value PghaSqlState#OUTCOME_UNKNOWN}; the original failure is the cause.
 */
public final class OutcomeUnknownException extends SQLRecoverableException {

    private static final long serialVersionUID = 1L;

    public OutcomeUnknownException(String message, Throwable cause) {
        super(message, PghaSqlState.OUTCOME_UNKNOWN, cause);
    }
}
