package org.pgha.driver;

import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Every property pgha itself understands, the single source of truth for its name, type,
 * default, allowed values and description. The driver's {@code getPropertyInfo}, the
 * configuration reference ({@code docs/configuration.md}) and the configuration parser all
 * come from this enum, so a property added here is documented, offered and parsed at once.
 *
 * <p>A property may be given as a URL parameter ({@code jdbc:pgha://h1,h2/db?maxReplicaLag=1s})
 * or in the {@link Properties} handed to the driver; every other property passes through to
 * pgjdbc unchanged. Values are text:
 *
 * <ul>
 *   <li>{@link Type#DURATION}: a whole number followed by {@code ms}, {@code s} or {@code m}
 *       ({@code 500ms}, {@code 2s}, {@code 1m}), or a plain whole number of milliseconds
 *       ({@code 1500}); from 1 ms to {@value #MAX_DURATION_MILLIS} ms (about 24 days);
 *   <li>{@link Type#INTEGER} and {@link Type#LONG}: a decimal whole number within the
 *       property's range;
 *   <li>{@link Type#BOOLEAN}: {@code true} or {@code false}, in any case;
 *   <li>{@link Type#CHOICE}: one of {@link #choices()}, in any case; the canonical spelling
 *       is the one listed.
 * </ul>
 *
 * <p>Whitespace around a value is ignored. Any other value, an empty one included, is
 * rejected by {@link #parse(String)} with an {@link SQLException} whose SQLState is
 * {@link PghaSqlState#INVALID_CONFIGURATION} and whose message names the property and the
 * value: a bad value is never replaced by the default.
 *
 * <p>Adding a property is one constant here (name, rule, default, description) and the code
 * that reads it ({@code config.duration(PghaProperty.X)} and its siblings in
 * {@code PghaConfig}); nothing else. The DataSource's setter is generated from the constant
 * at build time, the monitor's sharing key is derived from every property's value, and the
 * reference ({@code docs/configuration.md}) is regenerated with {@code ConfigurationDocs}.
 */
public enum PghaProperty {

    MAX_REPLICA_LAG("maxReplicaLag", Rule.duration(), "2s",
            "A read goes to a replica only if the replica provably holds every write acknowledged"
                    + " more than this long before the read began. Must be greater than"
                    + " probeInterval, because the bound includes the probe interval."),

    MAX_REPLICA_LAG_BYTES("maxReplicaLagBytes", Rule.longAtLeast(0), null,
            "If set, a replica is also not used for reads while its replay position is more than"
                    + " this many bytes of WAL behind the primary's latest sampled position."
                    + " Unset: no byte bound."),

    READ_FALLBACK("readFallback", Rule.choice(ReadFallback.values(), ReadFallback::value), "primary",
            "What a read does when no replica is within the lag bound: primary reads from the"
                    + " primary (always fresh); fail raises an SQLException with SQLState 08R03; wait waits up to"
                    + " readWaitTimeout for a replica within the bound, then fails with 08R03."),

    READ_WAIT_TIMEOUT("readWaitTimeout", Rule.duration(), "2s",
            "With readFallback=wait, how long a read waits for a replica within the lag bound before it fails"
                    + " with SQLState 08R03."),

    LOAD_BALANCE("loadBalance", Rule.choice(LoadBalance.values(), LoadBalance::value), "roundRobin",
            "How reads are spread over the replicas within the lag bound: roundRobin in turn,"
                    + " leastLag to the replica with the smallest lag, random to one picked at random."),

    READ_YOUR_WRITES("readYourWrites", Rule.bool(), "true",
            "If true, a read sees every write acknowledged earlier in its readYourWritesScope: until"
                    + " a replica has replayed those writes, the read goes to the primary."),

    READ_YOUR_WRITES_SCOPE("readYourWritesScope", Rule.choice(ReadYourWritesScope.values(), ReadYourWritesScope::value),
            "connection",
            "Whose writes a read must see with readYourWrites: connection, those of the same connection; thread, those"
                    + " acknowledged on the calling thread through any connection of the DataSource; dataSource, every"
                    + " write acknowledged through the DataSource (a POST, redirect and GET served by one application"
                    + " instance; the Spring Boot starter's default)."),

    PROBE_INTERVAL("probeInterval", Rule.duration(), "500ms",
            "How often the topology monitor probes each node while the node is healthy."),

    PROBE_TIMEOUT("probeTimeout", Rule.duration(), "1s",
            "A probe slower than this marks the node DOWN at once."),

    FAILURE_THRESHOLD("failureThreshold", Rule.intAtLeast(1), "2",
            "The number of failed probes in a row that marks a node DOWN."),
    FAILOVER_TIMEOUT("failoverTimeout", Rule.duration(), "60s",
            "How long a statement that lost its node, or found no primary, waits for a usable one before it fails"
                    + " with SQLState 08R04. The default covers Patroni's default leader lease of 30 s."),
    EXACTLY_ONCE_AUTOCOMMIT("exactlyOnceAutocommit", Rule.bool(), "false",
            "Runs each autocommit write in a transaction of its own whose outcome pgha can look up after a failover,"
                    + " so that it commits exactly once and is run again only when it surely did not commit. Costs one"
                    + " more round trip per autocommit write (its COMMIT); statements that cannot run in a transaction"
                    + " block (VACUUM, CREATE INDEX CONCURRENTLY, ...), transaction control, CALL, DO and multi-statement"
                    + " text run as sent."),
    TRANSACTION_REPLAY("transactionReplay", Rule.bool(), "true",
            "If a transaction loses its node before its COMMIT succeeded, its statements are run again with their"
                    + " parameters on the new primary (or another replica, for a read-only transaction), and every"
                    + " result the application already read is checked against the replayed one: if all match, the"
                    + " transaction goes on as if nothing happened; otherwise it is rolled back with SQLState 40R01."
                    + " If false, a lost transaction always ends with 40R01."),
    FOLLOW_DIVERGED_HISTORY("followDivergedHistory", Rule.bool(), "false",
            "What pgha does when the only primary's history lacks writes that a newer primary took (a lower timeline"
                    + " than one pgha saw taking writes, as after a failover manager's split brain): false refuses writes"
                    + " and reads with SQLState 08R05 until the newer primary is back or acceptDivergedHistory() is"
                    + " called; true reports it (ERROR log, HISTORY_DIVERGED event, meter) and then follows the new"
                    + " history, whose missing writes stay lost."),
    TRANSACTION_REPLAY_LIMIT("transactionReplayLimit", Rule.intAtLeast(0), "1000",
            "The most statement executions (a batch counts each of its entries) a transaction may have for it to be"
                    + " replayable. A longer transaction stops recording, frees what it recorded, and is rolled back"
                    + " with SQLState 40R01 if it loses its node."),
    TRANSACTION_REPLAY_MAX_BYTES("transactionReplayMaxBytes", Rule.longAtLeast(0), "8388608",
            "The most bytes of statement parameters (strings, byte arrays, batches, roughly as held on the heap) a"
                    + " transaction may record for it to be replayable: 8 MiB by default, per connection. A transaction"
                    + " that sets more stops recording, frees what it recorded, and is rolled back with SQLState 40R01"
                    + " if it loses its node."),
    SESSION_RESET("sessionReset", Rule.choice(SessionReset.values(), SessionReset::value), "changed",
            "When a pooled physical connection's session is reset before the next borrower gets it (role and session"
                    + " authorization, settings, advisory locks, LISTEN, temporary tables, held cursors): changed, when"
                    + " the borrower changed it with SQL pgha recognises (SET, RESET, set_config, pg_advisory_lock,"
                    + " LISTEN, CREATE TEMP, DECLARE) or set client info; always, after every borrow, at one round trip,"
                    + " for applications whose functions or procedures change session state. A connection on which"
                    + " PREPARE ran is closed instead."),
    MONITOR_USER("monitorUser", Rule.text(false), null,
            "The user the topology monitor's probes log in as: a least-privilege monitoring role (LOGIN and CONNECT"
                    + " on the database suffice; see docs/operations.md). Unset: the connection's user. With it, a"
                    + " DataSource's getConnection(user, password) shares one monitor whatever the user."),
    MONITOR_PASSWORD("monitorPassword", Rule.text(true), null,
            "The password of monitorUser. Never shown in a message, a log line or toString."),

    PATRONI("patroni", Rule.httpEndpoints(), null,
            "Patroni's REST API, comma-separated (http:// or https://host:port, such as http://db1:8008): pgha learns"
                    + " the cluster's members from GET /cluster on any of them, probes each and uses it once its own"
                    + " probe shows it is one of this cluster's servers, removes a member Patroni no longer lists,"
                    + " and sends no new reads to a member Patroni lists as stopping or starting, or tagged"
                    + " noloadbalance. Unset: the URL's hosts only."),
    PATRONI_USER("patroniUser", Rule.text(false), null,
            "The user of HTTP basic authentication for Patroni's REST API (restapi.authentication). Unset: none."),
    PATRONI_PASSWORD("patroniPassword", Rule.text(true), null,
            "The password of patroniUser. Never shown in a message, a log line or toString."),
    PATRONI_SSL_ROOT_CERT("patroniSslRootCert", Rule.text(false), null,
            "A file of the certificates (PEM) that https:// Patroni endpoints are verified against, such as a"
                    + " private certificate authority, in place of the JVM's trust store. Host names are checked"
                    + " either way. Unset: the JVM's trust store (javax.net.ssl.trustStore).");

    /** The longest duration accepted, in milliseconds: durations must fit an {@code int}. */
    public static final long MAX_DURATION_MILLIS = Integer.MAX_VALUE;

    /** The kind of value a property takes; {@link #parse(String)} returns the matching Java type. */
    public enum Type {
        /** A {@link Duration}: {@code 500ms}, {@code 2s}, {@code 1m} or milliseconds. */
        DURATION,
        /** An {@link Integer}. */
        INTEGER,
        /** A {@link Long}. */
        LONG,
        /** A {@link Boolean}: {@code true} or {@code false}. */
        BOOLEAN,
        /** One of {@link PghaProperty#choices()}, returned as its canonical spelling. */
        CHOICE,
        /** A {@link String}, not empty, as given (surrounding whitespace included). */
        STRING;

        /** The type as shown in the documentation: its name in lower case. */
        public String displayName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final String propertyName;
    private final Rule rule;
    private final String defaultValue;
    private final String description;

    PghaProperty(String propertyName, Rule rule, String defaultValue, String description) {
        this.propertyName = propertyName;
        this.rule = rule;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    /**
     * The property with this name, exactly as written in a URL ({@code maxReplicaLag});
     * empty for any other name, including another spelling of a pgha name.
     */
    public static Optional<PghaProperty> forName(String name) {
        for (PghaProperty property : values()) {
            if (property.propertyName.equals(name)) {
                return Optional.of(property);
            }
        }
        return Optional.empty();
    }

    /** The name as written in a URL or a {@link Properties} key, such as {@code maxReplicaLag}. */
    public String propertyName() {
        return propertyName;
    }

    /** The kind of value this property takes. */
    public Type type() {
        return rule.type;
    }

    /** The default as text, as a user would write it, or null if the property is unset by default. */
    public String defaultValue() {
        return defaultValue;
    }

    /** What the property does, in one or two sentences for a user. */
    public String description() {
        return description;
    }

    /**
     * The allowed values of a {@link Type#CHOICE} property in their canonical spelling;
     * empty for every other type.
     */
    public List<String> choices() {
        return rule.choices;
    }

    /** The enum whose constants a {@link Type#CHOICE} property's values name, in order; null for every other type. */
    public Class<?> choiceType() {
        return rule.choiceType;
    }

    /**
     * Whether the value is a secret ({@code monitorPassword}): no message, log line,
     * {@code toString} or {@link #propertyInfo} ever shows it.
     */
    public boolean isSecret() {
        return rule.secret;
    }

    /** The range of valid values as the configuration reference shows it. */
    String allowedValues() {
        return rule.allowed;
    }

    /**
     * Parses and validates a value of this property.
     *
     * @param value the text, as given in a URL (already percent-decoded) or a {@link Properties}
     * @return a {@link Duration}, {@link Integer}, {@link Long}, {@link Boolean} or (for
     *     {@link Type#CHOICE}) the canonical spelling of the choice, as {@link #type()} says
     * @throws SQLException with SQLState {@link PghaSqlState#INVALID_CONFIGURATION} and a message
     *     naming this property and the value, if the value is null, empty, malformed or out of range
     */
    public Object parse(String value) throws SQLException {
        Object parsed = value == null ? null : rule.parser.apply(rule.type == Type.STRING ? value : value.trim());
        if (parsed == null) {
            throw new SQLNonTransientConnectionException(
                    "Invalid value for pgha property " + propertyName + ": "
                            + (rule.secret && value != null ? "(not shown)" : quote(value)) + " (" + rule.expectation + ")",
                    PghaSqlState.INVALID_CONFIGURATION);
        }
        return parsed;
    }

    /** What a valid value looks like, as the error for an invalid one says: "a duration such as 2s". */
    public String expectation() {
        return rule.expectation;
    }

    /**
     * The driver's {@link java.sql.Driver#getPropertyInfo} entries for the pgha properties: one
     * per constant, in declaration order, each with the given value if {@code given} has one
     * and the default otherwise, the description, the choices (null unless {@link Type#CHOICE})
     * and {@code required == false}.
     *
     * @param given the properties given so far; may be null
     */
    public static DriverPropertyInfo[] propertyInfo(Properties given) {
        PghaProperty[] all = values();
        DriverPropertyInfo[] infos = new DriverPropertyInfo[all.length];
        for (int i = 0; i < all.length; i++) {
            PghaProperty property = all[i];
            String value = given == null || property.isSecret() ? null : given.getProperty(property.propertyName);
            DriverPropertyInfo info = new DriverPropertyInfo(
                    property.propertyName, value != null ? value : property.defaultValue);
            info.description = property.description;
            info.choices = property.choices().isEmpty() ? null : property.choices().toArray(new String[0]);
            info.required = false;
            infos[i] = info;
        }
        return infos;
    }

    /**
     * A duration written back in the syntax pgha reads, in the largest unit that shows it
     * exactly ({@code 1m}, {@code 2s}, {@code 1500ms}).
     */
    public static String formatDuration(Duration duration) {
        long millis = duration.toMillis();
        if (millis != 0 && millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis != 0 && millis % 1_000 == 0) {
            return millis / 1_000 + "s";
        }
        return millis + "ms";
    }

    /** A value as an error message shows it: quoted, control characters replaced, long ones cut. */
    private static String quote(String value) {
        if (value == null) {
            return "null";
        }
        String shown = value.length() > 64 ? value.substring(0, 64) + "..." : value;
        StringBuilder quoted = new StringBuilder("'");
        shown.codePoints().forEach(c -> quoted.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return quoted.append('\'').toString();
    }

    /** How one property's values are read: a parser returning null for an invalid value. */
    private static final class Rule {
        private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m)?");
        private static final Pattern WHOLE_NUMBER = Pattern.compile("[+-]?[0-9]+");

        final Type type;
        final Function<String, Object> parser;
        /** What a valid value looks like, for error messages. */
        final String expectation;
        /** The valid values, for the configuration reference (Markdown). */
        final String allowed;
        final List<String> choices;
        final boolean secret;
        /** The enum a CHOICE property's values name; null for every other type. */
        Class<?> choiceType;

        private Rule(Type type, Function<String, Object> parser, String expectation, String allowed,
                     List<String> choices) {
            this(type, parser, expectation, allowed, choices, false);
        }

        private Rule(Type type, Function<String, Object> parser, String expectation, String allowed,
                     List<String> choices, boolean secret) {
            this.type = type;
            this.parser = parser;
            this.expectation = expectation;
            this.allowed = allowed;
            this.choices = choices;
            this.secret = secret;
        }

        /** Any text but the empty one; a secret's value is never shown. */
        static Rule text(boolean secret) {
            return new Rule(Type.STRING, text -> text.isEmpty() ? null : text, "a text that is not empty", "any text",
                    List.of(), secret);
        }

        /**
         * A duration greater than zero and at most {@link #MAX_DURATION_MILLIS} (every current
         * duration must be positive; a duration that may be zero would need a rule of its own).
         */
        /**
         * Comma-separated {@code http://} or {@code https://} addresses with a host and a port,
         * without a user, a password, a query or a path beyond {@code /}; returned as given,
         * each trimmed.
         */
        static Rule httpEndpoints() {
            return new Rule(Type.STRING, text -> {
                List<String> endpoints = new java.util.ArrayList<>();
                for (String part : text.split(",", -1)) {
                    String endpoint = part.trim();
                    try {
                        java.net.URI uri = new java.net.URI(endpoint);
                        boolean web = "http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme());
                        boolean bare = uri.getRawUserInfo() == null && uri.getRawQuery() == null && uri.getRawFragment() == null
                                && (uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"));
                        if (!web || !bare || uri.getHost() == null || uri.getPort() < 1) {
                            return null;
                        }
                    } catch (java.net.URISyntaxException e) {
                        return null;
                    }
                    endpoints.add(endpoint);
                }
                return String.join(",", endpoints);
            }, "comma-separated addresses of Patroni's REST API such as http://db1:8008,https://db2:8008 (a scheme, a"
                    + " host and a port; the user and password go in patroniUser and patroniPassword)",
                    "`http://` or `https://` `host:port`, comma-separated", List.of());
        }

        static Rule duration() {
            return new Rule(Type.DURATION, Rule::parseDuration,
                    "a duration such as 500ms, 2s or 1m, greater than zero and at most "
                            + MAX_DURATION_MILLIS + "ms",
                    "`1ms` to `" + MAX_DURATION_MILLIS + "ms` (about 24 days)",
                    List.of());
        }

        static Rule intAtLeast(int min) {
            return new Rule(Type.INTEGER, text -> {
                Long value = parseLong(text);
                return value != null && value >= min && value <= Integer.MAX_VALUE
                        ? Integer.valueOf(value.intValue()) : null;
            }, "a whole number from " + min + " to " + Integer.MAX_VALUE,
                    min + " to " + Integer.MAX_VALUE, List.of());
        }

        static Rule longAtLeast(long min) {
            return new Rule(Type.LONG, text -> {
                Long value = parseLong(text);
                return value != null && value >= min ? value : null;
            }, "a whole number from " + min + " to " + Long.MAX_VALUE,
                    min + " to " + Long.MAX_VALUE, List.of());
        }

        static Rule bool() {
            return new Rule(Type.BOOLEAN, text -> {
                if (text.equalsIgnoreCase("true")) {
                    return Boolean.TRUE;
                }
                return text.equalsIgnoreCase("false") ? Boolean.FALSE : null;
            }, "true or false", "`true`, `false`", List.of());
        }

        static <E extends Enum<E>> Rule choice(E[] constants, Function<E, String> spelling) {
            List<String> choices = Stream.of(constants).map(spelling).toList();
            Rule rule = new Rule(Type.CHOICE, text -> {
                for (String choice : choices) {
                    if (choice.equalsIgnoreCase(text)) {
                        return choice;
                    }
                }
                return null;
            }, "one of " + String.join(", ", choices), "`" + String.join("`, `", choices) + "`", choices);
            rule.choiceType = constants.getClass().getComponentType();
            return rule;
        }

        private static Object parseDuration(String text) {
            Matcher matcher = DURATION.matcher(text);
            if (!matcher.matches()) {
                return null;
            }
            Long amount = parseLong(matcher.group(1));
            if (amount == null) {
                return null;
            }
            long unitMillis = switch (matcher.group(2) == null ? "ms" : matcher.group(2)) {
                case "m" -> 60_000L;
                case "s" -> 1_000L;
                default -> 1L;
            };
            if (amount > MAX_DURATION_MILLIS / unitMillis) {
                return null;
            }
            long millis = amount * unitMillis;
            return millis >= 1 ? Duration.ofMillis(millis) : null;
        }

        /** A decimal whole number, or null if the text is not one or does not fit a long. */
        private static Long parseLong(String text) {
            if (!WHOLE_NUMBER.matcher(text).matches()) {
                return null;
            }
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException tooLarge) {
                return null;
            }
        }
    }
}
