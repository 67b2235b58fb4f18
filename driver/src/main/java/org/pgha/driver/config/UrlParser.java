package org.pgha.driver.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import org.pgha.driver.PghaProperty;
import org.pgha.driver.PghaSqlState;
import org.postgresql.PGProperty;

/**
 * Parses a {@code jdbc:pgha:} URL and {@link Properties} into a {@link PghaConfig}.
 *
 * <p>URL format: {@code jdbc:pgha://host1[:port],host2[:port],.../database?name=value&...}.
 * The port defaults to 5432; an IPv6 address stands in brackets ({@code [::1]:5433}). The
 * database is required: unlike pgjdbc, pgha does not default it to the user name, because a
 * cluster connection that silently opens another database than meant is worse than an
 * error. Parameter names and values, and the database, are percent-decoded (UTF-8). User
 * name and password are given as the {@code user} and {@code password} properties (or URL
 * parameters); a URL with {@code user:password@} before the hosts is rejected.
 *
 * <p>Precedence: the URL parameters are read first, then every entry of the given
 * {@code Properties} (including its defaults) overrides a URL parameter of the same name.
 * This is the opposite of pgjdbc 42.7, where a URL parameter wins over the
 * {@code Properties}; pgha follows the DataSource view (an explicitly set property is the
 * more specific setting) and the same rule therefore applies to the properties passed
 * through to pgjdbc, which pgha hands over separately from a parameterless URL. A name given
 * twice in the URL itself is an error.
 *
 * <p>Every {@link PghaProperty} is parsed and validated here, once; every other property
 * passes through to pgjdbc unchanged. A name that differs from a pgha name only in case is
 * rejected rather than passed through, where pgjdbc would silently ignore it.
 *
 * <p>Every error is an {@link SQLException} with SQLState
 * {@link PghaSqlState#INVALID_CONFIGURATION} whose message names the offending property and
 * value, or the offending piece of the URL. No message ever shows a password: messages quote
 * pieces of the URL, never the whole URL or its query, and never the value of a property
 * passed through to pgjdbc.
 */
final class UrlParser {

    static final String PREFIX = "jdbc:pgha:";

    private static final String FORMAT = "jdbc:pgha://host1[:port],host2[:port],.../database";

    private static final int DEFAULT_PORT = 5432;

    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private static final Pattern IPV6_ADDRESS = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    static PghaConfig parse(String url, Properties info) throws SQLException {
        if (url == null) {
            throw invalid("The pgha URL is null; expected " + FORMAT);
        }
        if (!PghaConfig.acceptsUrl(url)) {
            throw invalid("Not a pgha URL: it must start with " + PREFIX + "//, as in " + FORMAT);
        }
        String rest = url.substring(PREFIX.length());
        if (!rest.startsWith("//")) {
            throw invalid("Malformed pgha URL: jdbc:pgha: must be followed by // and the hosts, as in " + FORMAT);
        }
        rest = rest.substring(2);
        int question = rest.indexOf('?');
        String location = question < 0 ? rest : rest.substring(0, question);
        int slash = location.indexOf('/');

        List<HostSpec> hosts = parseHosts(slash < 0 ? location : location.substring(0, slash));
        String database = parseDatabase(slash < 0 ? null : location.substring(slash + 1));

        Map<String, String> given = new LinkedHashMap<>();
        if (question >= 0) {
            parseQuery(rest.substring(question + 1), given);
        }
        java.util.Set<String> fromUrl = java.util.Set.copyOf(given.keySet());
        if (info != null) {
            for (Map.Entry<Object, Object> entry : info.entrySet()) {
                if (!(entry.getKey() instanceof String) || !(entry.getValue() instanceof String)) {
                    throw invalid("Invalid connection property " + describeKey(entry.getKey())
                            + ": keys and values must be strings (use Properties.setProperty), not "
                            + typeName(entry.getKey() instanceof String ? entry.getValue() : entry.getKey()));
                }
            }
            for (String name : info.stringPropertyNames()) {
                given.put(name, info.getProperty(name));
            }
        }

        Map<String, String> passThrough = new HashMap<>();
        Map<PghaProperty, String> pgha = new EnumMap<>(PghaProperty.class);
        for (Map.Entry<String, String> entry : given.entrySet()) {
            String name = entry.getKey();
            PghaProperty property = PghaProperty.forName(name).orElse(null);
            if (property != null) {
                pgha.put(property, entry.getValue());
                continue;
            }
            if (PGProperty.forName(name) == null) {
                checkUnknownName(name, fromUrl.contains(name) && !info(info, name));
            }
            String replaced = PGJDBC_ROUTING.get(name);
            if (replaced != null) {
                throw invalid("The pgjdbc property '" + name + "' does not apply to a pgha URL: " + replaced
                        + ". Remove it (see docs/migration.md)");
            }
            passThrough.put(name, entry.getValue());
        }

        Map<PghaProperty, Object> values = new EnumMap<>(PghaProperty.class);
        for (PghaProperty property : PghaProperty.values()) {
            String text = pgha.containsKey(property) ? pgha.get(property) : property.defaultValue();
            if (text != null) {
                values.put(property, property.parse(text));
            }
        }
        checkLagExceedsProbeInterval(pgha, values);
        if (values.containsKey(PghaProperty.MONITOR_PASSWORD) && !values.containsKey(PghaProperty.MONITOR_USER)) {
            throw invalid("pgha property monitorPassword is set but monitorUser is not: set both, or neither for the"
                    + " probes to log in as the connection's user");
        }
        if (values.containsKey(PghaProperty.PATRONI_PASSWORD) && !values.containsKey(PghaProperty.PATRONI_USER)) {
            throw invalid("pgha property patroniPassword is set but patroniUser is not: set both, or neither for"
                    + " Patroni's REST API without authentication");
        }
        if (values.containsKey(PghaProperty.PATRONI_USER) && !values.containsKey(PghaProperty.PATRONI)) {
            throw invalid("pgha property patroniUser is set but patroni is not: name Patroni's REST API endpoints"
                    + " (patroni=http://host:8008,...), or remove patroniUser");
        }
        checkPatroniTrust(values);
        return new PghaConfig(hosts, database, passThrough, values);
    }

    /** A trust file goes with https:// endpoints and must hold certificates: a typo fails here, not at the first poll. */
    private static void checkPatroniTrust(Map<PghaProperty, Object> values) throws SQLException {
        Object file = values.get(PghaProperty.PATRONI_SSL_ROOT_CERT);
        if (file == null) {
            return;
        }
        Object endpoints = values.get(PghaProperty.PATRONI);
        if (endpoints == null || !endpoints.toString().toLowerCase(Locale.ROOT).contains("https://")) {
            throw invalid("pgha property patroniSslRootCert is set but no patroni endpoint is https://: name Patroni's"
                    + " REST API as https://host:port, or remove patroniSslRootCert");
        }
        try {
            TrustedCertificates.read(java.nio.file.Path.of(file.toString()));
        } catch (IllegalArgumentException e) {
            throw invalid("pgha property patroniSslRootCert: " + e.getMessage());
        }
    }

    private static List<HostSpec> parseHosts(String hostList) throws SQLException {
        if (hostList.indexOf('@') >= 0) {
            // The piece before '@' may hold a password: it is never quoted.
            throw invalid("The pgha URL must not carry a user or password before the hosts (user:password@host);"
                    + " give them as the user and password properties");
        }
        if (hostList.isEmpty()) {
            throw invalid("The pgha URL names no host: expected " + FORMAT);
        }
        String[] pieces = hostList.split(",", -1);
        List<HostSpec> hosts = new ArrayList<>(pieces.length);
        Map<String, String> seen = new HashMap<>();
        for (int i = 0; i < pieces.length; i++) {
            String piece = pieces[i];
            if (piece.isEmpty()) {
                throw invalid("Empty host in the pgha URL's host list '" + hostList + "' (host " + (i + 1)
                        + " of " + pieces.length + "): remove the extra comma");
            }
            HostSpec host = parseHost(piece);
            String earlier = seen.putIfAbsent(canonicalHost(host) + ":" + host.port(), piece);
            if (earlier != null) {
                throw invalid("Duplicate host in the pgha URL: '" + earlier + "' and '" + piece
                        + "' both name " + host + " (the port defaults to " + DEFAULT_PORT + ")");
            }
            hosts.add(host);
        }
        return hosts;
    }

    private static HostSpec parseHost(String piece) throws SQLException {
        String host;
        String port;
        if (piece.startsWith("[")) {
            int close = piece.indexOf(']');
            if (close < 0) {
                throw invalid("Invalid host '" + piece + "' in the pgha URL: an IPv6 address in brackets"
                        + " needs its closing ']', as in [::1]:5432");
            }
            host = piece.substring(1, close);
            if (!IPV6_ADDRESS.matcher(host).matches() || !isIpv6Literal(host)) {
                throw invalid("Invalid host '" + piece + "' in the pgha URL: '" + host
                        + "' is not an IPv6 address (up to eight groups of hexadecimal digits separated by colons,"
                        + " one '::' at most, as in [::1] or [2001:db8::5])");
            }
            String after = piece.substring(close + 1);
            if (!after.isEmpty() && !after.startsWith(":")) {
                throw invalid("Invalid host '" + piece + "' in the pgha URL: expected ':port' or nothing after ']'");
            }
            port = after.isEmpty() ? null : after.substring(1);
        } else {
            int colon = piece.indexOf(':');
            if (colon >= 0 && piece.indexOf(':', colon + 1) >= 0) {
                throw invalid("Invalid host '" + piece + "' in the pgha URL: write an IPv6 address in brackets,"
                        + " as in [::1]:5432");
            }
            host = colon < 0 ? piece : piece.substring(0, colon);
            port = colon < 0 ? null : piece.substring(colon + 1);
            if (!HOST_NAME.matcher(host).matches()) {
                throw invalid("Invalid host '" + piece + "' in the pgha URL: a host name consists of letters,"
                        + " digits, '.', '-' and '_'");
            }
        }
        return new HostSpec(host, port == null ? DEFAULT_PORT : parsePort(port, host));
    }

    /** Whether the text is an IPv6 address literal; parsed without any name lookup. */
    private static boolean isIpv6Literal(String text) {
        try {
            return java.net.InetAddress.getByName("[" + text + "]") instanceof java.net.Inet6Address
                    || text.toLowerCase(Locale.ROOT).startsWith("::ffff:");
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** A host as duplicates are found: lower case, and an IPv6 address in its canonical spelling. */
    private static String canonicalHost(HostSpec host) {
        String name = host.host().toLowerCase(Locale.ROOT);
        if (name.indexOf(':') >= 0) {
            try {
                return java.net.InetAddress.getByName("[" + name + "]").getHostAddress();
            } catch (java.net.UnknownHostException e) {
                return name;
            }
        }
        return name;
    }

    private static int parsePort(String port, String host) throws SQLException {
        if (DIGITS.matcher(port).matches() && port.length() <= 5) {
            int number = Integer.parseInt(port);
            if (number >= 1 && number <= 65535) {
                return number;
            }
        }
        throw invalid("Invalid port '" + port + "' for host '" + host + "' in the pgha URL"
                + " (a number from 1 to 65535)");
    }

    private static String parseDatabase(String path) throws SQLException {
        if (path == null || path.isEmpty()) {
            throw invalid("The pgha URL names no database: expected " + FORMAT
                    + " (pgha does not default the database to the user name)");
        }
        if (path.indexOf('=') >= 0 || path.indexOf('&') >= 0 || path.indexOf(';') >= 0) {
            // Most likely parameters without their '?', which may include a password: not quoted.
            throw invalid("The database name in the pgha URL contains '=', '&' or ';': parameters must follow"
                    + " a '?', as in jdbc:pgha://h1,h2/db?maxReplicaLag=1s (percent-encode such characters"
                    + " in a database name)");
        }
        if (path.indexOf('/') >= 0) {
            throw invalid("Invalid database '" + path + "' in the pgha URL: it contains '/'"
                    + " (percent-encode it as %2F if the name has one)");
        }
        String database;
        try {
            database = URLDecoder.decode(path, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid("Invalid database '" + path + "' in the pgha URL: bad percent-encoding"
                    + " (% must be followed by two hexadecimal digits)");
        }
        if (database.isBlank()) {
            throw invalid("The pgha URL names no database: expected " + FORMAT);
        }
        return database;
    }

    /**
     * Reads the URL parameters. A parameter's value is never quoted in a message: it may be a
     * password. A name is quoted only if it is a known pgha or pgjdbc property name, since a
     * stray name may be a piece of a password with an unencoded '&amp;'.
     */
    private static void parseQuery(String query, Map<String, String> into) throws SQLException {
        for (String parameter : query.split("&")) {
            if (parameter.isEmpty()) {
                continue;
            }
            int equals = parameter.indexOf('=');
            String name;
            try {
                name = URLDecoder.decode(equals < 0 ? parameter : parameter.substring(0, equals), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw invalid("Invalid URL parameter name in the pgha URL: bad percent-encoding"
                        + " (% must be followed by two hexadecimal digits)");
            }
            if (name.isEmpty()) {
                throw invalid("A parameter of the pgha URL has no name: expected name=value after '?' and each '&'");
            }
            if (PghaConfig.isSecret(name) && equals >= 0 && parameter.indexOf('+', equals) >= 0) {
                // URL decoding reads '+' as a space: the login would fail with a wrong password.
                throw invalid("URL parameter " + safeName(name) + " of the pgha URL contains '+', which URL decoding"
                        + " reads as a space: percent-encode a plus sign as %2B (and a space as %20), or give the"
                        + " password as a property instead of in the URL");
            }
            String value;
            try {
                value = equals < 0 ? "" : URLDecoder.decode(parameter.substring(equals + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw invalid("Invalid value of URL parameter " + safeName(name) + " in the pgha URL:"
                        + " bad percent-encoding (% must be followed by two hexadecimal digits)");
            }
            if (into.putIfAbsent(name, value) != null) {
                throw invalid("URL parameter " + safeName(name) + " is given twice in the pgha URL");
            }
        }
    }

    /**
     * A name that is neither a pgha nor a pgjdbc property. pgjdbc ignores a name it does not
     * know, so a misspelt one would be dropped without a word ({@code sslMode=verify-full}
     * connecting in plain text): a name that matches a known one ignoring case, {@code _},
     * {@code -} and {@code .}, or is a near miss of one ({@code maxReplicaLagg}), is refused with
     * the right name. An unknown URL parameter is refused too, and not quoted: with an
     * unencoded {@code &} in a password, it is a piece of the password. Any other name given in
     * the {@code Properties} passes through to pgjdbc.
     */
    private static void checkUnknownName(String name, boolean urlParameter) throws SQLException {
        String known = nearestKnownName(name);
        if (known != null) {
            boolean pgha = PghaProperty.forName(known).isPresent();
            boolean sameLetters = normalized(known).equals(normalized(name));
            throw invalid("Unknown property '" + name + "': did you mean " + known + "? ("
                    + (sameLetters ? "property names are case-sensitive, and " : "")
                    + (pgha ? "pgha" : "pgjdbc") + " would otherwise ignore it" + (pgha ? ")" : " without a word)"));
        }
        if (urlParameter) {
            throw invalid("A parameter of the pgha URL is neither a pgha nor a pgjdbc property (its name is not shown,"
                    + " as it may be a piece of a password with an unencoded '&'): check the names, and percent-encode"
                    + " '&' as %26, '+' as %2B, '%' as %25 and '=' as %3D in values");
        }
    }

    /** Whether {@code name} is also given in the properties, which then supply its value. */
    private static boolean info(Properties info, String name) {
        return info != null && info.getProperty(name) != null;
    }

    /**
     * The pgha or pgjdbc property name {@code name} most likely meant: the same ignoring case and
     * punctuation, or within an edit distance of 1 (2 for names of 8 or more letters); null if none.
     */
    static String nearestKnownName(String name) {
        String given = normalized(name);
        if (given.length() < 3) {
            return null;
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : KNOWN_NAMES) {
            String candidate = normalized(known);
            int allowed = candidate.length() >= 8 ? 2 : 1;
            int distance = editDistance(given, candidate, allowed);
            if (distance <= allowed && distance < bestDistance) {
                best = known;
                bestDistance = distance;
            }
        }
        return best;
    }

    private static final List<String> KNOWN_NAMES = knownNames();

    private static List<String> knownNames() {
        List<String> names = new ArrayList<>();
        for (PghaProperty property : PghaProperty.values()) {
            names.add(property.propertyName());
        }
        for (PGProperty property : PGProperty.values()) {
            names.add(property.getName());
        }
        return List.copyOf(names);
    }

    private static String normalized(String name) {
        StringBuilder letters = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c != '_' && c != '-' && c != '.') {
                letters.append(Character.toLowerCase(c));
            }
        }
        return letters.toString();
    }

    /** Levenshtein distance, or {@code limit + 1} once it is known to exceed {@code limit}. */
    private static int editDistance(String a, String b, int limit) {
        if (Math.abs(a.length() - b.length()) > limit) {
            return limit + 1;
        }
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            int rowMin = current[0];
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
                rowMin = Math.min(rowMin, current[j]);
            }
            if (rowMin > limit) {
                return limit + 1;
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    private static String safeName(String name) {
        boolean known = PghaProperty.forName(name).isPresent() || PGProperty.forName(name) != null;
        return known ? "'" + name + "'" : "(a name that is not a pgha or pgjdbc property)";
    }

    private static void checkLagExceedsProbeInterval(Map<PghaProperty, String> given,
                                                     Map<PghaProperty, Object> values) throws SQLException {
        Duration lag = (Duration) values.get(PghaProperty.MAX_REPLICA_LAG);
        Duration interval = (Duration) values.get(PghaProperty.PROBE_INTERVAL);
        if (lag.compareTo(interval) > 0) {
            return;
        }
        if (given.containsKey(PghaProperty.MAX_REPLICA_LAG)) {
            throw invalid("Invalid value for pgha property maxReplicaLag: '" + given.get(PghaProperty.MAX_REPLICA_LAG)
                    + "' (must be greater than probeInterval, " + PghaProperty.formatDuration(interval)
                    + ", because the lag bound includes the probe interval)");
        }
        throw invalid("Invalid value for pgha property probeInterval: '" + given.get(PghaProperty.PROBE_INTERVAL)
                + "' (must be less than maxReplicaLag, " + PghaProperty.formatDuration(lag)
                + " by default, because the lag bound includes the probe interval; raise maxReplicaLag too)");
    }

    private static String describeKey(Object key) {
        return key instanceof String name ? "'" + name + "'" : "with a non-string key";
    }

    private static String typeName(Object value) {
        return value == null ? "null" : value.getClass().getSimpleName();
    }

    /**
     * pgjdbc's own multi-host routing, which pgha replaces: passed through, it would apply to
     * each node's connection (a replica refusing {@code targetServerType=primary}, say).
     */
    private static final Map<String, String> PGJDBC_ROUTING = Map.of(
            "targetServerType", "pgha chooses the node itself, the primary for writes and a replica within"
                    + " maxReplicaLag for read-only connections",
            "loadBalanceHosts", "pgha spreads reads over the replicas by loadBalance",
            "hostRecheckSeconds", "pgha probes every node every probeInterval");

    private static SQLException invalid(String message) {
        return new SQLNonTransientConnectionException(message, PghaSqlState.INVALID_CONFIGURATION);
    }

    private UrlParser() {
    }
}
