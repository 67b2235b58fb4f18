package org.pgha.driver.config;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.StringJoiner;
import java.util.TreeMap;
import org.pgha.driver.PghaProperty;
import org.pgha.driver.PghaSqlState;
import org.pgha.driver.ReadFallback;
import org.postgresql.PGProperty;

/**
 * The configuration of one pgha cluster connection, parsed once from a {@code jdbc:pgha:} URL
 * and {@link Properties} (by {@link UrlParser}, whose comment gives the format and the
 * precedence), and immutable afterwards.
 *
 * <p>A pgha property is read by its constant, with the accessor of its type:
 * {@code config.duration(PghaProperty.MAX_REPLICA_LAG)}, {@code config.flag(...)},
 * {@code config.integer(...)}, {@code config.whole(...)}, {@code config.text(...)},
 * {@code config.choice(PghaProperty.READ_FALLBACK, ReadFallback.class)}. There is no field or
 * accessor per property: a property added to {@link PghaProperty} is parsed, validated,
 * documented, offered by the DataSource and part of {@link #settingsKey()} at once, and the
 * code that needs it reads it. Reading a property with the accessor of another type is a bug
 * and throws {@link IllegalArgumentException}.
 *
 * <p>Every other property ({@code sslmode}, {@code ApplicationName}, {@code user},
 * {@code password}, ...) passes through to pgjdbc unchanged in {@link #pgjdbcProperties()}.
 * Neither {@link #toString()} nor any key ever shows a password.
 */
public final class PghaConfig {

    private final List<HostSpec> hosts;
    private final String database;
    private final String user;
    private final Map<String, String> passThrough;
    private final Map<PghaProperty, Object> values;
    /** Choices resolved to their constants, by property ordinal: read at every connection, resolved once. */
    private final Enum<?>[] chosen = new Enum<?>[PghaProperty.values().length];

    PghaConfig(List<HostSpec> hosts, String database, Map<String, String> passThrough,
                       Map<PghaProperty, Object> values) {
        this.hosts = List.copyOf(hosts);
        this.database = database;
        this.user = passThrough.get("user");
        this.passThrough = Collections.unmodifiableMap(new TreeMap<>(passThrough));
        this.values = Collections.unmodifiableMap(new EnumMap<>(values));
    }

    /** True iff this is a pgha URL, that is, it starts with {@code jdbc:pgha:}; null is not one. */
    public static boolean acceptsUrl(String url) {
        return url != null && url.startsWith(UrlParser.PREFIX);
    }

    /**
     * Parses and validates a pgha URL and properties (see {@link UrlParser} for the format and
     * the precedence). A DataSource collects its settings in a {@link Properties} and calls
     * this method with its URL.
     *
     * @param url a {@code jdbc:pgha://} URL
     * @param info the connection properties; may be null. Keys and values must be strings.
     * @throws SQLException with SQLState {@link PghaSqlState#INVALID_CONFIGURATION} if the URL
     *     is malformed or a value is invalid; the message names the piece or the property and
     *     the value, never a password
     */
    public static PghaConfig parse(String url, Properties info) throws SQLException {
        return UrlParser.parse(url, info);
    }

    /** The seed hosts, in URL order. */
    public List<HostSpec> hosts() {
        return hosts;
    }

    /** The database name, percent-decoded; never empty. */
    public String database() {
        return database;
    }

    /** The {@code user} property, or null if none was given. */
    public String user() {
        return user;
    }

    /**
     * A fresh copy of the properties that are not pgha's, for pgjdbc: {@code user} and
     * {@code password} included. It holds the password: never log it.
     */
    public Properties pgjdbcProperties() {
        Properties copy = new Properties();
        passThrough.forEach(copy::setProperty);
        return copy;
    }

    /** A {@link PghaProperty.Type#DURATION} property's value; never null (every duration has a default). */
    public Duration duration(PghaProperty property) {
        return (Duration) required(property, PghaProperty.Type.DURATION);
    }

    /** A {@link PghaProperty.Type#BOOLEAN} property's value. */
    public boolean flag(PghaProperty property) {
        return (Boolean) required(property, PghaProperty.Type.BOOLEAN);
    }

    /** An {@link PghaProperty.Type#INTEGER} property's value. */
    public int integer(PghaProperty property) {
        return (Integer) required(property, PghaProperty.Type.INTEGER);
    }

    /** A {@link PghaProperty.Type#LONG} property's value, or empty if it is unset (no default). */
    public OptionalLong whole(PghaProperty property) {
        Long value = (Long) value(property, PghaProperty.Type.LONG);
        return value == null ? OptionalLong.empty() : OptionalLong.of(value);
    }

    /** A {@link PghaProperty.Type#STRING} property's value, or null if it is unset. */
    public String text(PghaProperty property) {
        return (String) value(property, PghaProperty.Type.STRING);
    }

    /**
     * A {@link PghaProperty.Type#CHOICE} property's value as the constant of {@code type}
     * spelt so: the choices are listed in the order of {@code type}'s constants.
     */
    public <E extends Enum<E>> E choice(PghaProperty property, Class<E> type) {
        Enum<?> known = chosen[property.ordinal()];
        if (type.isInstance(known)) {
            return type.cast(known);
        }
        Object spelling = required(property, PghaProperty.Type.CHOICE);
        E[] constants = type.getEnumConstants();
        List<String> choices = property.choices();
        if (property.choiceType() != type || choices.size() != constants.length) {
            throw new IllegalArgumentException(property.propertyName() + " is not a choice of " + type.getSimpleName());
        }
        E constant = constants[choices.indexOf(spelling)];
        chosen[property.ordinal()] = constant; // the same constant whichever thread resolves it
        return constant;
    }

    private Object required(PghaProperty property, PghaProperty.Type type) {
        Object value = value(property, type);
        if (value == null) {
            throw new IllegalArgumentException(property.propertyName() + " has no default: read it with an accessor"
                    + " that allows it unset");
        }
        return value;
    }

    private Object value(PghaProperty property, PghaProperty.Type type) {
        if (property.type() != type) {
            throw new IllegalArgumentException(property.propertyName() + " is a " + property.type() + " property, not a "
                    + type + " one");
        }
        return values.get(property);
    }

    /**
     * The same configuration with another user and password for the connections (and, unless
     * {@link PghaProperty#MONITOR_USER} is set, for the probes); null removes one.
     */
    public PghaConfig withCredentials(String user, String password) {
        Map<String, String> other = new HashMap<>(passThrough);
        if (user == null) {
            other.remove("user");
        } else {
            other.put("user", user);
        }
        if (password == null) {
            other.remove("password");
        } else {
            other.put("password", password);
        }
        return new PghaConfig(hosts, database, other, values);
    }

    /**
     * A digest of what the probes log in and connect with: the pass-through properties
     * (credentials, TLS settings, timeouts) and the monitor's credentials. Connections that
     * differ in any of them must not share a monitor: a rotated password or a stricter
     * {@code sslmode} must reach the probes too. A SHA-256 digest, so that no key holds a secret.
     */
    public String connectionKey() {
        StringBuilder text = new StringBuilder();
        new TreeMap<>(passThrough).forEach((k, v) -> text.append(k).append('\0').append(v).append('\0'));
        text.append('\1').append(text(PghaProperty.MONITOR_USER)).append('\0').append(text(PghaProperty.MONITOR_PASSWORD));
        text.append('\1').append(text(PghaProperty.PATRONI_PASSWORD));
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Every pgha property's value, in declaration order, for telling apart connections that
     * share a {@link #clusterKey()} but not their settings.
     */
    public String settingsKey() {
        StringJoiner key = new StringJoiner("|");
        for (PghaProperty property : PghaProperty.values()) {
            if (!property.isSecret()) {
                key.add(String.valueOf(values.get(property)));
            }
        }
        return key.toString();
    }

    /**
     * The identity of the cluster connection, for sharing one topology monitor between
     * DriverManager connections: {@code database@host:port,...#user} with the hosts sorted and
     * lower-cased, so the order of the hosts in the URL does not matter (for example
     * {@code ehr@db1:5432,db2:5432#alice}). {@code %}, {@code @} and {@code #} in the database
     * and user are percent-encoded so that the key is unambiguous; no user gives an empty one.
     * The key holds neither the password nor the pgha properties: connections that share a
     * key but differ in those must be told apart by whoever shares the monitor.
     */
    public String clusterKey() {
        StringJoiner sortedHosts = new StringJoiner(",");
        hosts.stream()
                .map(h -> new HostSpec(h.host().toLowerCase(Locale.ROOT), h.port()))
                .sorted(Comparator.naturalOrder())
                .forEach(h -> sortedHosts.add(h.toString()));
        return keyPart(database) + "@" + sortedHosts + "#" + (user == null ? "" : keyPart(user));
    }

    /**
     * The pgjdbc URL of one node: {@code jdbc:postgresql://host:port/database}, the database
     * percent-encoded and no parameters (the properties travel in {@link #pgjdbcProperties()}).
     */
    public String pgjdbcUrl(HostSpec host) {
        return "jdbc:postgresql://" + host + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
    }

    /**
     * The hosts, database, user, every pgha property's value and the pass-through properties,
     * with any property whose name contains {@code password} shown as {@code ***}.
     */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("PghaConfig[hosts=").append(hosts)
                .append(", database=").append(database)
                .append(", user=").append(user);
        for (PghaProperty property : PghaProperty.values()) {
            Object value = values.get(property);
            text.append(", ").append(property.propertyName()).append('=')
                    .append(value == null ? "unset" : property.isSecret() ? "***"
                            : value instanceof Duration d ? PghaProperty.formatDuration(d) : value);
        }
        StringJoiner pgjdbc = new StringJoiner(", ", "{", "}");
        int others = 0;
        for (Map.Entry<String, String> entry : passThrough.entrySet()) {
            String name = entry.getKey();
            if (PGProperty.forName(name) == null) {
                // Not pgjdbc's: it may be a piece of a password, shown neither by name nor value.
                others++;
            } else {
                pgjdbc.add(name + "=" + (isSecret(name) ? "***" : entry.getValue()));
            }
        }
        if (others > 0) {
            pgjdbc.add(others + " other");
        }
        return text.append(", pgjdbc=").append(pgjdbc).append(']').toString();
    }

    static boolean isSecret(String name) {
        return name.toLowerCase(Locale.ROOT).contains("password");
    }

    private static String keyPart(String text) {
        return text.replace("%", "%25").replace("@", "%40").replace("#", "%23");
    }

}
