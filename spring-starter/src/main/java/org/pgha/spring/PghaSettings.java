package org.pgha.spring;

import java.sql.SQLException;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.pgha.driver.PghaProperty;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.env.Environment;

/**
 * The {@code pgha.*} properties of a Spring environment, checked against {@link PghaProperty}
 * and turned into the driver's property names and value syntax.
 *
 * <p>Names are matched the way Spring Boot matches relaxed names: {@code pgha.max-replica-lag},
 * {@code pgha.maxReplicaLag} and the environment variable {@code PGHA_MAXREPLICALAG} are one
 * property. Durations take Spring's syntax ({@code 2s}, {@code 500ms}, {@code PT2S}, a bare
 * number of milliseconds); choices may be written in kebab case ({@code least-lag}). Every value
 * is then checked by the driver's own rule, so the starter accepts nothing the driver would
 * not. An unknown name is an error, not ignored: a mistyped safety setting such as the lag
 * bound must not silently fall back to its default.
 */
final class PghaSettings {

    static final String PREFIX = "pgha";

    private PghaSettings() {
    }

    /**
     * The {@code pgha.*} settings of {@code environment} by driver property name, in the
     * enum's order, their values in the driver's syntax.
     *
     * @throws InvalidPghaPropertyException for an unknown name or a bad value
     */
    static Map<String, String> from(Environment environment) {
        Map<String, String> given = Binder.get(environment)
                .bind(PREFIX, Bindable.mapOf(String.class, String.class))
                .orElse(Map.of());
        Map<PghaProperty, String> found = new EnumMap<>(PghaProperty.class);
        for (Map.Entry<String, String> entry : given.entrySet()) {
            PghaProperty property = property(entry.getKey()).orElseThrow(() -> InvalidPghaPropertyException.withoutValue(
                    PREFIX + "." + entry.getKey(), "pgha has no such property. Known: "
                    + Stream.of(PghaProperty.values()).map(ConfigurationMetadata::springName).collect(Collectors.joining(", "))));
            found.put(property, driverValue(property, entry.getValue()));
        }
        Map<String, String> settings = new LinkedHashMap<>();
        found.forEach((property, value) -> settings.put(property.propertyName(), value));
        return settings;
    }

    private static Optional<PghaProperty> property(String key) {
        String wanted = canonical(key);
        return Stream.of(PghaProperty.values()).filter(p -> canonical(p.propertyName()).equals(wanted)).findFirst();
    }

    /** Lower case without separators, as Spring Boot compares relaxed names. */
    private static String canonical(String name) {
        return name.replace("-", "").replace("_", "").replace(".", "").toLowerCase(Locale.ROOT);
    }

    /** The value in the driver's syntax, checked by the driver's rule. */
    static String driverValue(PghaProperty property, String value) {
        String name = ConfigurationMetadata.springName(property);
        String text = value == null ? "" : property.type() == PghaProperty.Type.STRING ? value : value.trim();
        String converted = switch (property.type()) {
            case DURATION -> duration(name, text);
            case CHOICE -> property.choices().stream().filter(c -> canonical(c).equals(canonical(text))).findFirst()
                    .orElse(text);
            default -> text;
        };
        try {
            property.parse(converted);
        } catch (SQLException e) {
            throw property.isSecret() ? InvalidPghaPropertyException.withoutValue(name, "expected " + property.expectation())
                    : new InvalidPghaPropertyException(name, value, "expected " + property.expectation());
        }
        return converted;
    }

    private static String duration(String name, String text) {
        try {
            return PghaProperty.formatDuration(DurationStyle.detectAndParse(text));
        } catch (RuntimeException e) {
            throw new InvalidPghaPropertyException(name, text,
                    "not a duration; write it as Spring Boot does, for example 500ms, 2s or PT2S");
        }
    }
}
