package org.pgha.driver.failover;

import java.io.IOException;
import java.sql.SQLException;
import org.pgha.driver.FailureVerdict;
import org.pgha.driver.PghaExceptionOverride;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that decides what a failure of a physical connection means:
 * <ul>
 *   <li>{@link FailureVerdict#NODE_LOST}: SQLState class 08 (connection exception), 57P01
 *       (admin shutdown), 57P02 (crash shutdown), 57P03 (cannot connect now), or no SQLState and
 *       an I/O error in the cause chain;</li>
 *   <li>{@link FailureVerdict#NOT_WRITABLE}: 25006 (read-only transaction) on a connection
 *       believed to be on the primary: it was demoted;</li>
 *   <li>{@link FailureVerdict#AUTHENTICATION}: class 28;</li>
 *   <li>{@link FailureVerdict#APPLICATION}: everything else, 40001 and 57014 included.</li>
 * </ul>
 * An application's {@link PghaExceptionOverride} has the last word.
 */
public final class FailureClassifier {

    private static final Logger log = LoggerFactory.getLogger(FailureClassifier.class);

    /** pgha's own verdicts, no override. */
    public static final FailureClassifier DEFAULT = new FailureClassifier(null);

    private final PghaExceptionOverride override;

    public FailureClassifier(PghaExceptionOverride override) {
        this.override = override;
    }

    /**
     * @param failure what a physical connection threw
     * @param believedPrimary whether the connection was bound to the primary to write
     */
    public FailureVerdict classify(SQLException failure, boolean believedPrimary) {
        FailureVerdict verdict = verdict(failure, believedPrimary);
        if (override != null) {
            try {
                FailureVerdict overridden = override.adjudicate(failure, verdict);
                if (overridden != null) {
                    return overridden;
                }
            } catch (RuntimeException e) {
                log.warn("pgha exception override {} failed; keeping the verdict {}", override, verdict, e);
            }
        }
        return verdict;
    }

    /**
     * Whether a call failed because its node or connection was lost. Some calls wrap the reason
     * without a SQLState of their own ({@code setClientInfo} throws a
     * {@link java.sql.SQLClientInfoException} around pgjdbc's "connection closed").
     */
    public boolean nodeLost(SQLException failure) {
        SQLException reason = failure.getSQLState() == null && failure.getCause() instanceof SQLException cause
                ? cause : failure;
        return classify(reason, false) == FailureVerdict.NODE_LOST;
    }

    /** Whether a statement on the primary failed because the node was lost or no longer takes writes. */
    public boolean lostPrimary(SQLException failure) {
        FailureVerdict verdict = classify(failure, true);
        return verdict == FailureVerdict.NODE_LOST || verdict == FailureVerdict.NOT_WRITABLE;
    }

    static FailureVerdict verdict(SQLException failure, boolean believedPrimary) {
        String state = failure.getSQLState();
        if (state == null) {
            return hasIoCause(failure) ? FailureVerdict.NODE_LOST : FailureVerdict.APPLICATION;
        }
        if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")) {
            return FailureVerdict.NODE_LOST;
        }
        if (state.startsWith("28")) {
            return FailureVerdict.AUTHENTICATION;
        }
        if (state.equals("25006")) {
            return believedPrimary ? FailureVerdict.NOT_WRITABLE : FailureVerdict.APPLICATION;
        }
        return FailureVerdict.APPLICATION;
    }

    private static boolean hasIoCause(Throwable t) {
        for (Throwable c = t; c != null && c != c.getCause(); c = c.getCause()) {
            if (c instanceof IOException) {
                return true;
            }
        }
        return false;
    }
}
