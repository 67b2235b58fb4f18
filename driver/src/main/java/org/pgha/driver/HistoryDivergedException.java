package org.pgha.driver;

import java.sql.SQLNonTransientConnectionException;

/**
 * The only primary's history lacks writes that pgha saw a newer primary take: it is on a lower
 * timeline than one that took writes (or the one given up when another was accepted), or
 * another node behind the position reached there on the same timeline. Acknowledged
 * writes of that newer history may be lost, which only an operator can judge, so pgha refuses
 * writes and reads (SQLState {@value PghaSqlState#HISTORY_DIVERGED}) until the newer primary is
 * back, or the application accepts the history ({@code acceptDivergedHistory()} on the
 * DataSource, or {@code followDivergedHistory=true}). The message names both timelines and the
 * WAL range at risk. Thrown once a statement waited {@code failoverTimeout} for that.
 */
public class HistoryDivergedException extends SQLNonTransientConnectionException {

    private static final long serialVersionUID = 1L;

    public HistoryDivergedException(String message) {
        super(message, PghaSqlState.HISTORY_DIVERGED);
    }
}
