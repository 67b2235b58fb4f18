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
import org.pgha.driver.ReadYourWritesScope;
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
        return from(environment, null);
    }

    /**
     * Defaults of Spring applications that differ from the JDBC driver's. {@code readYourWritesScope}:
     * a web request reads what the application's earlier requests wrote (POST, redirect, GET),
     * although each request borrows a connection of its own, on a thread of its own.
     */
    static final Map<PghaProperty, String> SPRING_DEFAULTS = Map.of(PghaProperty.READ_YOUR_WRITES_SCOPE,
            ReadYourWritesScope.DATA_SOURCE.value());

    /** The default a Spring application gets: {@link #SPRING_DEFAULTS}, else the driver's. */
    static String springDefault(PghaProperty property) {
        return SPRING_DEFAULTS.getOrDefault(property, property.defaultValue());
    }

    /**
     * As {@link #from(Environment)}, with each of {@link #SPRING_DEFAULTS} that neither the
     * environment nor the query of {@code url} sets.
     */
    static Map<String, String> from(Environment environment, String url) {
        Map<String, String> settings = fromEnvironment(environment);
        if (url == null) {
            return settings;
        }
        for (PghaProperty property : PghaProperty.values()) {
            String value = SPRING_DEFAULTS.get(property);
            if (value != null && !settings.containsKey(property.propertyName()) && !namedInQuery(url, property)) {
                settings.put(property.propertyName(), value);
            }
        }
        return settings;
    }

    /** Whether the query of a pgha URL names {@code property}. */
    static boolean namedInQuery(String url, PghaProperty property) {
        int question = url.indexOf('?');
        if (question < 0) {
            return false;
        }
        for (String pair : url.substring(question + 1).split("&")) {
            int equals = pair.indexOf('=');
            String name = java.net.URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals),
                    java.nio.charset.StandardCharsets.UTF_8);
            if (name.equals(property.propertyName())) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, String> fromEnvironment(Environment environment) {
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
