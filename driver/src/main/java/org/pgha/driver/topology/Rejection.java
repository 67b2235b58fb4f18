package org.pgha.driver.topology;

import java.sql.SQLException;

/**
 * A node that refuses this client, as opposed to one that is down: the monitor backs off from
 * it, and a connection with no other node to turn to fails at once instead of waiting for a
 * failover that would not help.
 */
public final class Rejection {

    private Rejection() {
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
    public static String rejectionCause(Throwable failure) {
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
}
