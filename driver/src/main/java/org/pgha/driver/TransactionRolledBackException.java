package org.pgha.driver;

import java.sql.SQLTransactionRollbackException;

/**
 * A failover interrupted the transaction and nothing of it was committed: run the whole
 * transaction again. The connection is usable at once (on the new primary). A
 * {@link java.sql.SQLTransientException}, as a serialization failure is, so retry logic that
 * retries those retries this too. SQLState {@value PghaSqlState#TRANSACTION_ROLLED_BACK}; the
 * original failure is the cause.
 */
public final class TransactionRolledBackException extends SQLTransactionRollbackException {

    private static final long serialVersionUID = 1L;

    public TransactionRolledBackException(String message, Throwable cause) {
        super(message, PghaSqlState.TRANSACTION_ROLLED_BACK, cause);
    }
}
