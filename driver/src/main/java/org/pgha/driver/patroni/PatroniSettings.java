package org.pgha.driver.patroni;

import java.util.Map;

/**
 * What pgha reads of Patroni's dynamic configuration ({@code GET /config}).
 *
 * @param synchronousMode {@code synchronous_mode}: Patroni keeps a synchronous standby and promotes only it
 * @param synchronousModeStrict {@code synchronous_mode_strict}: with no synchronous standby left,
 *     the primary stops acknowledging commits rather than acknowledge them alone
 */
public record PatroniSettings(boolean synchronousMode, boolean synchronousModeStrict) {

    /**
     * Reads a {@code GET /config} body; missing settings take Patroni's defaults (off).
     *
     * @throws IllegalArgumentException if it is not a JSON object
     */
    public static PatroniSettings parse(String body) {
        if (!(Json.parse(body) instanceof Map<?, ?> root)) {
            throw new IllegalArgumentException("Patroni's /config answer is not a JSON object");
        }
        return new PatroniSettings(on(root.get("synchronous_mode")), on(root.get("synchronous_mode_strict")));
    }

    private static boolean on(Object value) {
        return Boolean.TRUE.equals(value) || (value instanceof String s && s.equalsIgnoreCase("true"));
    }

    /** Whether a failover can lose a commit the primary acknowledged; null if it cannot, else why. */
    public String dataLossRisk() {
        if (!synchronousMode) {
            return "synchronous_mode is off: Patroni may promote a standby that lacks commits the primary"
                    + " acknowledged";
        }
        if (!synchronousModeStrict) {
            return "synchronous_mode_strict is off: when the synchronous standby disconnects, Patroni lets the"
                    + " primary acknowledge commits alone, and a failover in that window can lose them";
        }
        return null;
    }
}
