package org.pgha.driver;

/** When a pooled physical connection's session is reset before it goes back ({@code sessionReset}). */
public enum SessionReset {
    /** When the borrower changed its session with SQL pgha recognises, or set client info: the default. */
    CHANGED("changed"),
    /** Every time: also what a function changed ({@code set_config}, {@code SET ROLE} in a procedure), at a round trip. */
    ALWAYS("always");

    private final String value;

    SessionReset(String value) {
        this.value = value;
    }

    /** The value as written in a URL or a property. */
    public String value() {
        return value;
    }
}
