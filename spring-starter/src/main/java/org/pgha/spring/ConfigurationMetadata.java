package org.pgha.spring;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.pgha.driver.PghaProperty;

/**
 * Writes {@code META-INF/spring-configuration-metadata.json} (the descriptions, types, defaults
 * and allowed values IDEs offer for {@code pgha.*}) from {@link PghaProperty}, so that it cannot
 * drift from the driver. {@code ConfigurationMetadataTest} fails when the committed file differs
 * from {@link #json()}; {@link #main} rewrites it:
 *
 * {@value #REGENERATE}.
 */
final class ConfigurationMetadata {

    static final String FILE = "spring-starter/src/main/resources/META-INF/spring-configuration-metadata.json";

    /** The command, run from the repository's root, that brings the file up to date. */
    static final String REGENERATE = "./mvnw -q -B -ntp -pl spring-starter -am compile && java -cp"
            + " driver/target/classes:spring-starter/target/classes org.pgha.spring.ConfigurationMetadata";

    /** The Spring name of a property: {@code pgha.} and its name in kebab case. */
    static String springName(PghaProperty property) {
        return PghaSettings.PREFIX + "." + property.propertyName().replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
    }

    private ConfigurationMetadata() {
    }

    /** The metadata document, ending with a line break. */
    static String json() {
        List<String> properties = new ArrayList<>();
        List<String> hints = new ArrayList<>();
        for (PghaProperty p : PghaProperty.values()) {
            String name = springName(p);
            properties.add(property(name, javaType(p), p.description(), defaultValue(p)));
            if (p.type() == PghaProperty.Type.CHOICE) {
                List<String> values = new ArrayList<>();
                for (String choice : p.choices()) {
                    values.add("{ \"value\": " + string(choice) + " }");
                }
                hints.add("    {\n      \"name\": " + string(name) + ",\n      \"values\": [ " + String.join(", ", values)
                        + " ]\n    }");
            }
        }
        properties.add(property("spring.datasource.hikari.replica-maximum-pool-size", "java.lang.Integer",
                "The most connections of each replica's pool (pgha). Unset (-1): maximum-pool-size, as the primary's.",
                "-1"));
        properties.add(property("spring.datasource.hikari.replica-minimum-idle", "java.lang.Integer",
                "The idle connections each replica's pool keeps (pgha). Unset (-1): minimum-idle, as the primary's.",
                "-1"));
        properties.add(property("management.health.pgha.enabled", "java.lang.Boolean",
                "Whether to enable the pgha health indicator: UP while writes have a primary.", "true"));
        return "{\n  \"groups\": [\n    {\n      \"name\": \"pgha\",\n      \"description\": "
                + string("pgha's routing, failover and replay settings for spring.datasource.url=jdbc:pgha://...")
                + ",\n      \"sourceType\": \"org.pgha.pool.PghaPoolDataSource\"\n    }\n  ],\n  \"properties\": [\n"
                + String.join(",\n", properties) + "\n  ],\n  \"hints\": [\n" + String.join(",\n", hints) + "\n  ]\n}\n";
    }

    private static String property(String name, String type, String description, String defaultValue) {
        return "    {\n      \"name\": " + string(name) + ",\n      \"type\": " + string(type)
                + ",\n      \"description\": " + string(description)
                + (defaultValue == null ? "" : ",\n      \"defaultValue\": " + defaultValue) + "\n    }";
    }

    private static String javaType(PghaProperty p) {
        return switch (p.type()) {
            case DURATION -> "java.time.Duration";
            case INTEGER -> "java.lang.Integer";
            case LONG -> "java.lang.Long";
            case BOOLEAN -> "java.lang.Boolean";
            case CHOICE, STRING -> "java.lang.String";
        };
    }

    /** The default a Spring application gets, as a JSON value: numbers and booleans bare, the rest as strings; null if unset. */
    private static String defaultValue(PghaProperty p) {
        String value = PghaSettings.springDefault(p);
        if (value == null) {
            return null;
        }
        return switch (p.type()) {
            case INTEGER, LONG, BOOLEAN -> value;
            default -> string(value);
        };
    }

    private static String string(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** Rewrites the file named by the first argument (default {@link #FILE}, from the repository's root). */
    public static void main(String[] args) throws IOException {
        Path file = Path.of(args.length > 0 ? args[0] : FILE);
        Files.writeString(file, json(), StandardCharsets.UTF_8);
        System.out.println("wrote " + file);
    }
}
