package org.pgha.spring;

/**
 * A {@code pgha.*} property of the Spring environment that pgha does not know, or whose value
 * it does not accept. Thrown while the DataSource is created, so the application does not
 * start; {@link PghaFailureAnalyzer} reports it by name.
 */
public class InvalidPghaPropertyException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String property;
    private final String value;
    private final String reason;

    public InvalidPghaPropertyException(String property, String value, String reason) {
        super("Invalid pgha property " + property + "=" + quote(value) + ": " + reason);
        this.property = property;
        this.value = value;
        this.reason = reason;
    }

    /**
     * A property whose value is not shown: an unknown name (which may be a secret meant for
     * elsewhere) or a secret's ({@code pgha.monitor-password}). {@link #getValue()} is null.
     */
    static InvalidPghaPropertyException withoutValue(String property, String reason) {
        return new InvalidPghaPropertyException(property, reason);
    }

    private InvalidPghaPropertyException(String property, String reason) {
        super("Invalid pgha property " + property + " (its value is not shown): " + reason);
        this.property = property;
        this.value = null;
        this.reason = reason;
        this.hidden = true;
    }

    private boolean hidden;

    /** Whether the value is withheld from messages: {@link #getValue()} is then null. */
    public boolean isValueHidden() {
        return hidden;
    }

    /** The property's name as the environment gave it, {@code pgha.} included. */
    public String getProperty() {
        return property;
    }

    /** The value given; may be null. */
    public String getValue() {
        return value;
    }

    /** Why it was refused, and what would be accepted. */
    public String getReason() {
        return reason;
    }

    private static String quote(String value) {
        return value == null ? "(none)" : "'" + value + "'";
    }
}
