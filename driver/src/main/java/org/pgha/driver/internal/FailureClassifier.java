package org.pgha.driver.internal;

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

    /**
     * Whether a failure to connect or probe means the node refuses this client in a way that
     * trying again soon would not change: a login rejected (class 28: a wrong password, a
     * pg_hba rejection), a database that does not exist (3D000), a missing privilege (42501),
     * a connection the client or server refused to set up (08004: the server does not offer
     * TLS that sslmode requires, no password given), something that is not PostgreSQL (08P01),
     * a host name that does not resolve, or a TLS certificate that fails verification. The
     * monitor backs off from such a node instead of probing it fast, and a connection with no
     * other node to turn to fails at once.
     */
    public static boolean rejects(SQLException failure) {
        String state = failure.getSQLState();
        if (state != null && (state.startsWith("28") || state.equals("3D000") || state.equals("42501")
                || state.equals("08004") || state.equals("08P01"))) {
            return true;
        }
        return rejectionCause(failure) != null;
    }

    /** What kind of rejection a failure's causes show, as {@link #rejects} reads them, or null. */
    static String rejectionCause(Throwable failure) {
        for (Throwable c = failure; c != null && c != c.getCause(); c = c.getCause()) {
            if (c instanceof java.net.UnknownHostException) {
                return "the host name does not resolve";
            }
            if ((c instanceof javax.net.ssl.SSLHandshakeException && !lostBelow(c))
                    || c instanceof java.security.cert.CertificateException
                    || c instanceof java.security.cert.CertPathValidatorException) {
                return "TLS: the server's certificate failed verification (check sslmode, sslrootcert and the"
                        + " certificate's names)";
            }
            String message = c.getMessage();
            if (message != null && message.contains("could not be verified by hostnameverifier")) {
                return "TLS: the server's certificate does not name the host (sslmode=verify-full)";
            }
        }
        return null;
    }

    /** A handshake cut short by a lost connection (a node killed meanwhile), not a refusal. */
    private static boolean lostBelow(Throwable t) {
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c instanceof java.io.EOFException || c instanceof java.net.SocketException) {
                return true;
            }
        }
        return false;
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
