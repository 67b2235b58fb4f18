package org.pgha.driver;

/** What a failure of a physical connection means for pgha. */
public enum FailureVerdict {
    /**
     * The application's own error (syntax, constraint, serialization failure 40001, statement
     * timeout 57014, ...): thrown unchanged, never a failover.
     */
    APPLICATION,
    /** The server refused the credentials (28xxx): thrown unchanged, never retried. */
    AUTHENTICATION,
    /** The node is gone or going (08xxx, I/O errors, 57P01 to 57P03): fail over. */
    NODE_LOST,
    /** A node believed to be the primary refused a write (25006): it was demoted; fail over. */
    NOT_WRITABLE
}
