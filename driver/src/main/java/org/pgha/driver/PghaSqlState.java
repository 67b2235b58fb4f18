package org.pgha.driver;

/**
 * The SQLStates pgha itself raises. They are stable: applications may match on them. Most are
 * in class 08 (connection exception), so pools and retry logic treat them as failures to
 * reach a usable server; a rolled-back transaction is in class 40 (transaction rollback). The
 * subclasses starting with {@code R} are pgha's own (implementation-defined, as the SQL
 * standard allows for subclasses starting with I to Z).
 */
public final class PghaSqlState {

    /** The URL or a property value is invalid; the message names the property and the value. */
    public static final String INVALID_CONFIGURATION = "08001";
    /** No node is a usable primary: writes cannot go anywhere right now. */
    public static final String NO_PRIMARY = "08R01";
    /** Two primaries on the highest timeline: writes are refused until one is gone. */
    public static final String SPLIT_BRAIN = "08R02";
    /**
     * The only primary's history lacks writes that a newer primary took (a lower timeline than
     * one pgha saw taking writes, or a position behind it): writes and reads are refused until
     * the newer primary is back or the history is accepted. See {@link HistoryDivergedException}.
     */
    public static final String HISTORY_DIVERGED = "08R05";
    /** A read found no replica within the lag bound and {@code readFallback=fail}. */
    public static final String NO_REPLICA_WITHIN_LAG = "08R03";
    /** No usable node appeared within {@code failoverTimeout}: see {@link FailoverTimeoutException}. */
    public static final String FAILOVER_TIMEOUT = "08R04";
    /**
     * The node was lost while a write was in flight and whether it committed cannot be known:
     * see {@link OutcomeUnknownException}. This is the SQL standard's "transaction resolution
     * unknown".
     */
    public static final String OUTCOME_UNKNOWN = "08007";
    /** A failover rolled the transaction back; run it again: see {@link TransactionRolledBackException}. */
    public static final String TRANSACTION_ROLLED_BACK = "40R01";

    private PghaSqlState() {
    }
}
