package org.pgha.driver.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.sql.SQLException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.pgha.driver.LoadBalance;
import org.pgha.driver.PghaProperty;
import org.pgha.driver.PghaSqlState;
import org.pgha.driver.ReadFallback;
import org.pgha.driver.ReadYourWritesScope;
import org.pgha.driver.SessionReset;

class PghaConfigTest {

    private static final String PASSWORD = "S3cr3t-Pw-4711";

    // ---- acceptsUrl ----

    @Test
    void acceptsOnlyPghaUrls() {
        assertThat(PghaConfig.acceptsUrl("jdbc:pgha://h1,h2/db")).isTrue();
        assertThat(PghaConfig.acceptsUrl("jdbc:pgha:")).isTrue();
        assertThat(PghaConfig.acceptsUrl("jdbc:postgresql://h1/db")).isFalse();
        assertThat(PghaConfig.acceptsUrl("jdbc:pghax://h1/db")).isFalse();
        assertThat(PghaConfig.acceptsUrl("JDBC:PGHA://h1/db")).isFalse();
        assertThat(PghaConfig.acceptsUrl("")).isFalse();
        assertThat(PghaConfig.acceptsUrl(null)).isFalse();
    }

    // ---- defaults and every property ----

    @Test
    void defaultsApplyWhenNothingIsGiven() throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1,h2:5433,h3/ehr", null);
        assertThat(config.hosts()).containsExactly(
                new HostSpec("h1", 5432), new HostSpec("h2", 5433), new HostSpec("h3", 5432));
        assertThat(config.database()).isEqualTo("ehr");
        assertThat(config.user()).isNull();
        assertThat(config.pgjdbcProperties()).isEmpty();
        assertThat(config.duration(PghaProperty.MAX_REPLICA_LAG)).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.whole(PghaProperty.MAX_REPLICA_LAG_BYTES)).isEmpty();
        assertThat(config.choice(PghaProperty.READ_FALLBACK, ReadFallback.class)).isEqualTo(ReadFallback.PRIMARY);
        assertThat(config.choice(PghaProperty.READ_YOUR_WRITES_SCOPE, ReadYourWritesScope.class))
                .isEqualTo(ReadYourWritesScope.CONNECTION);
        assertThat(config.choice(PghaProperty.LOAD_BALANCE, LoadBalance.class)).isEqualTo(LoadBalance.ROUND_ROBIN);
        assertThat(config.flag(PghaProperty.READ_YOUR_WRITES)).isTrue();
        assertThat(config.duration(PghaProperty.PROBE_INTERVAL)).isEqualTo(Duration.ofMillis(500));
        assertThat(config.duration(PghaProperty.PROBE_TIMEOUT)).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.integer(PghaProperty.FAILURE_THRESHOLD)).isEqualTo(2);
        assertThat(config.duration(PghaProperty.FAILOVER_TIMEOUT)).isEqualTo(Duration.ofSeconds(60));
    }

    /** Each property, a non-default value, how to read it back, and the value expected. */
    static Stream<Arguments> everyProperty() {
        return Stream.of(
                property(PghaProperty.MAX_REPLICA_LAG, "5s", c -> c.duration(PghaProperty.MAX_REPLICA_LAG), Duration.ofSeconds(5)),
                property(PghaProperty.MAX_REPLICA_LAG_BYTES, "16777216", c -> c.whole(PghaProperty.MAX_REPLICA_LAG_BYTES),
                        OptionalLong.of(16_777_216)),
                property(PghaProperty.READ_FALLBACK, "fail", c -> c.choice(PghaProperty.READ_FALLBACK, ReadFallback.class), ReadFallback.FAIL),
                property(PghaProperty.READ_YOUR_WRITES_SCOPE, "DATASOURCE",
                        c -> c.choice(PghaProperty.READ_YOUR_WRITES_SCOPE, ReadYourWritesScope.class), ReadYourWritesScope.DATA_SOURCE),
                property(PghaProperty.READ_WAIT_TIMEOUT, "500ms", c -> c.duration(PghaProperty.READ_WAIT_TIMEOUT), Duration.ofMillis(500)),
                property(PghaProperty.LOAD_BALANCE, "leastLag", c -> c.choice(PghaProperty.LOAD_BALANCE, LoadBalance.class), LoadBalance.LEAST_LAG),
                property(PghaProperty.READ_YOUR_WRITES, "false", c -> c.flag(PghaProperty.READ_YOUR_WRITES), false),
                property(PghaProperty.PROBE_INTERVAL, "250ms", c -> c.duration(PghaProperty.PROBE_INTERVAL), Duration.ofMillis(250)),
                property(PghaProperty.PROBE_TIMEOUT, "3000", c -> c.duration(PghaProperty.PROBE_TIMEOUT), Duration.ofSeconds(3)),
                property(PghaProperty.FAILURE_THRESHOLD, "5", c -> c.integer(PghaProperty.FAILURE_THRESHOLD), 5),
                property(PghaProperty.FAILOVER_TIMEOUT, "2m", c -> c.duration(PghaProperty.FAILOVER_TIMEOUT), Duration.ofMinutes(2)),
                property(PghaProperty.EXACTLY_ONCE_AUTOCOMMIT, "true", c -> c.flag(PghaProperty.EXACTLY_ONCE_AUTOCOMMIT), true),
                property(PghaProperty.TRANSACTION_REPLAY, "false", c -> c.flag(PghaProperty.TRANSACTION_REPLAY), false),
                property(PghaProperty.TRANSACTION_REPLAY_LIMIT, "10", c -> c.integer(PghaProperty.TRANSACTION_REPLAY_LIMIT), 10),
                property(PghaProperty.FOLLOW_DIVERGED_HISTORY, "true", c -> c.flag(PghaProperty.FOLLOW_DIVERGED_HISTORY), true),
                property(PghaProperty.SESSION_RESET, "always", c -> c.choice(PghaProperty.SESSION_RESET, SessionReset.class), SessionReset.ALWAYS),
                property(PghaProperty.TRANSACTION_REPLAY_MAX_BYTES, "1024", c -> c.whole(PghaProperty.TRANSACTION_REPLAY_MAX_BYTES).getAsLong(), 1024L),
                property(PghaProperty.MONITOR_USER, "pgha_probe", c -> c.text(PghaProperty.MONITOR_USER), "pgha_probe"),
                property(PghaProperty.PATRONI, "http://db1:8008", c -> c.text(PghaProperty.PATRONI), "http://db1:8008"));
    }

    private static Arguments property(PghaProperty property, String text, Function<PghaConfig, Object> read,
                                      Object expected) {
        return Arguments.of(property, text, read, expected);
    }

    @Test
    void everyPropertyIsCoveredByTheTable() {
        // monitorPassword needs monitorUser beside it, patroniUser and patroniPassword need patroni,
        // patroniSslRootCert an https endpoint and a file: their own tests below.
        assertThat(everyProperty().map(a -> a.get()[0]))
                .containsExactlyInAnyOrder(java.util.Arrays.stream(PghaProperty.values())
                        .filter(p -> p != PghaProperty.MONITOR_PASSWORD && p != PghaProperty.PATRONI_USER
                                && p != PghaProperty.PATRONI_PASSWORD && p != PghaProperty.PATRONI_SSL_ROOT_CERT).toArray());
    }

    @Test
    void patroniNamesRestEndpointsAndItsCredentialsGoWithItAndAreNeverShown() throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1/db?patroni=http://db1:8008,%20https://db2:8443/"
                + "&patroniUser=pgha&patroniPassword=" + PASSWORD, null);
        assertThat(config.text(PghaProperty.PATRONI)).isEqualTo("http://db1:8008,https://db2:8443/");
        assertThat(config.text(PghaProperty.PATRONI_USER)).isEqualTo("pgha");
        assertThat(config.toString()).contains("patroniPassword=***").doesNotContain(PASSWORD);
        assertThat(config.settingsKey() + config.connectionKey()).doesNotContain(PASSWORD);
        for (String bad : java.util.List.of("db1:8008", "ftp://db1:8008", "http://db1", "http://user:pw@db1:8008",
                "http://db1:8008/cluster", "http://db1:8008?x=1", "http://db1:8008,", "")) {
            assertThat(invalid("jdbc:pgha://h1/db?patroni=" + bad, null).getMessage()).as(bad)
                    .startsWith("Invalid value for pgha property patroni:")
                    .contains("the user and password go in patroniUser and patroniPassword");
        }
        assertThat(invalid("jdbc:pgha://h1/db?patroni=http://db1:8008&patroniPassword=x", null).getMessage())
                .startsWith("pgha property patroniPassword is set but patroniUser is not");
        assertThat(invalid("jdbc:pgha://h1/db?patroniUser=pgha", null).getMessage())
                .startsWith("pgha property patroniUser is set but patroni is not");
    }

    @Test
    void patroniSslRootCertGoesWithHttpsEndpointsAndMustHoldCertificates(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path missing = dir.resolve("missing.crt");
        assertThat(invalid("jdbc:pgha://h1/db?patroni=https://db1:8443&patroniSslRootCert=" + missing, null).getMessage())
                .startsWith("pgha property patroniSslRootCert: cannot read " + missing);
        java.nio.file.Path notPem = java.nio.file.Files.writeString(dir.resolve("ca.crt"), "not a certificate\n");
        assertThat(invalid("jdbc:pgha://h1/db?patroni=https://db1:8443&patroniSslRootCert=" + notPem, null).getMessage())
                .startsWith("pgha property patroniSslRootCert: " + notPem + " holds no");
        assertThat(invalid("jdbc:pgha://h1/db?patroni=http://db1:8008&patroniSslRootCert=" + notPem, null).getMessage())
                .startsWith("pgha property patroniSslRootCert is set but no patroni endpoint is https://");
        assertThat(invalid("jdbc:pgha://h1/db?patroniSslRootCert=" + notPem, null).getMessage())
                .startsWith("pgha property patroniSslRootCert is set but no patroni endpoint is https://");
    }

    @Test
    void monitorPasswordGoesWithMonitorUserAndIsNeverShown() throws SQLException {
        Properties info = new Properties();
        info.setProperty("monitorPassword", PASSWORD);
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1/db?monitorUser=pgha_probe", info);
        assertThat(config.text(PghaProperty.MONITOR_USER)).isEqualTo("pgha_probe");
        assertThat(config.text(PghaProperty.MONITOR_PASSWORD)).isEqualTo(PASSWORD);
        assertThat(config.toString()).contains("monitorUser=pgha_probe", "monitorPassword=***").doesNotContain(PASSWORD);
        assertThat(config.settingsKey() + config.connectionKey()).doesNotContain(PASSWORD);
        assertThat(invalid("jdbc:pgha://h1/db", info).getMessage())
                .isEqualTo("pgha property monitorPassword is set but monitorUser is not: set both, or neither for the"
                        + " probes to log in as the connection's user");
        info.setProperty("monitorUser", "pgha_probe");
        info.setProperty("monitorPassword", "");
        assertThat(invalid("jdbc:pgha://h1/db", info).getMessage())
                .isEqualTo("Invalid value for pgha property monitorPassword: (not shown) (a text that is not empty)");
        assertThat(java.util.Arrays.stream(org.pgha.driver.PghaProperty.propertyInfo(info))
                .filter(i -> i.name.equals("monitorPassword")).findFirst().orElseThrow().value).isNull();
    }

    @ParameterizedTest
    @MethodSource("everyProperty")
    void everyPropertyIsReadFromTheUrl(PghaProperty property, String text, Function<PghaConfig, Object> read,
                                       Object expected) throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1,h2/db?" + property.propertyName() + "=" + text, null);
        assertThat(read.apply(config)).isEqualTo(expected);
        assertThat(read.apply(PghaConfig.parse("jdbc:pgha://h1,h2/db", null))).isNotEqualTo(expected);
        assertThat(config.pgjdbcProperties()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("everyProperty")
    void everyPropertyIsReadFromProperties(PghaProperty property, String text, Function<PghaConfig, Object> read,
                                           Object expected) throws SQLException {
        Properties info = new Properties();
        info.setProperty(property.propertyName(), text);
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1,h2/db", info);
        assertThat(read.apply(config)).isEqualTo(expected);
        assertThat(config.pgjdbcProperties()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("everyProperty")
    void propertiesOverrideTheUrl(PghaProperty property, String text, Function<PghaConfig, Object> read,
                                  Object expected) throws SQLException {
        Properties info = new Properties();
        info.setProperty(property.propertyName(), text);
        String url = "jdbc:pgha://h1,h2/db?" + property.propertyName() + "=" + property.defaultValue();
        if (property.defaultValue() == null) {
            url = "jdbc:pgha://h1,h2/db?" + property.propertyName() + "=1";
        }
        assertThat(read.apply(PghaConfig.parse(url, info))).isEqualTo(expected);
    }

    @Test
    void propertiesOverrideTheUrlForPassThroughPropertiesToo() throws SQLException {
        Properties info = new Properties();
        info.setProperty("ApplicationName", "from-properties");
        info.setProperty("user", "bob");
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1/db?ApplicationName=from-url&user=alice&sslmode=require", info);
        assertThat(config.pgjdbcProperties()).containsEntry("ApplicationName", "from-properties")
                .containsEntry("sslmode", "require");
        assertThat(config.user()).isEqualTo("bob");
    }

    @Test
    void propertiesDefaultsCount() throws SQLException {
        Properties defaults = new Properties();
        defaults.setProperty("loadBalance", "random");
        defaults.setProperty("sslmode", "verify-full");
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1/db", new Properties(defaults));
        assertThat(config.choice(PghaProperty.LOAD_BALANCE, LoadBalance.class)).isEqualTo(LoadBalance.RANDOM);
        assertThat(config.pgjdbcProperties()).containsEntry("sslmode", "verify-full");
    }

    @Test
    void aDataSourceCanConfigureEverythingThroughProperties() throws SQLException {
        Properties settings = new Properties();
        settings.setProperty("user", "ehr_app");
        settings.setProperty("password", PASSWORD);
        settings.setProperty("maxReplicaLag", "1s");
        settings.setProperty("maxReplicaLagBytes", "0");
        settings.setProperty("readFallback", "fail");
        settings.setProperty("loadBalance", "random");
        settings.setProperty("readYourWrites", "false");
        settings.setProperty("probeInterval", "200ms");
        settings.setProperty("probeTimeout", "800ms");
        settings.setProperty("failureThreshold", "3");
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1,h2/db", settings);
        assertThat(config.duration(PghaProperty.MAX_REPLICA_LAG)).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.whole(PghaProperty.MAX_REPLICA_LAG_BYTES)).hasValue(0);
        assertThat(config.choice(PghaProperty.READ_FALLBACK, ReadFallback.class)).isEqualTo(ReadFallback.FAIL);
        assertThat(config.choice(PghaProperty.LOAD_BALANCE, LoadBalance.class)).isEqualTo(LoadBalance.RANDOM);
        assertThat(config.flag(PghaProperty.READ_YOUR_WRITES)).isFalse();
        assertThat(config.duration(PghaProperty.PROBE_INTERVAL)).isEqualTo(Duration.ofMillis(200));
        assertThat(config.duration(PghaProperty.PROBE_TIMEOUT)).isEqualTo(Duration.ofMillis(800));
        assertThat(config.integer(PghaProperty.FAILURE_THRESHOLD)).isEqualTo(3);
        assertThat(config.user()).isEqualTo("ehr_app");
        assertThat(config.pgjdbcProperties()).containsOnlyKeys("user", "password");
    }

    @Test
    void choicesAndDurationsAreLenientAboutCaseAndSpaces() throws SQLException {
        PghaConfig config = PghaConfig.parse(
                "jdbc:pgha://h1/db?loadBalance=LEASTLAG&readFallback=Fail&probeTimeout=%202s%20&readYourWrites=FALSE", null);
        assertThat(config.choice(PghaProperty.LOAD_BALANCE, LoadBalance.class)).isEqualTo(LoadBalance.LEAST_LAG);
        assertThat(config.choice(PghaProperty.READ_FALLBACK, ReadFallback.class)).isEqualTo(ReadFallback.FAIL);
        assertThat(config.duration(PghaProperty.PROBE_TIMEOUT)).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.flag(PghaProperty.READ_YOUR_WRITES)).isFalse();
    }

    // ---- bad values ----

    @ParameterizedTest
    @CsvSource({
        "maxReplicaLag,-5s", "maxReplicaLag,0", "maxReplicaLag,fast", "maxReplicaLag,''",
        "maxReplicaLagBytes,-1", "maxReplicaLagBytes,1MB", "maxReplicaLagBytes,''",
        "readFallback,replica", "readFallback,''",
        "loadBalance,leastConnections", "loadBalance,round_robin",
        "readYourWrites,yes", "readYourWrites,1", "readYourWrites,''",
        "probeInterval,0ms", "probeInterval,1h", "probeInterval,1.5s",
        "probeTimeout,-1s", "probeTimeout,99999999999999999999",
        "failureThreshold,0", "failureThreshold,-2", "failureThreshold,three", "failureThreshold,2147483648",
    })
    void badValuesAreRejectedFromUrlAndProperties(String name, String value) {
        String expected = "Invalid value for pgha property " + name + ": '" + value + "' (";
        assertThat(invalid("jdbc:pgha://h1,h2/db?" + name + "=" + value, null).getMessage()).startsWith(expected);
        Properties info = new Properties();
        info.setProperty(name, value);
        assertThat(invalid("jdbc:pgha://h1,h2/db", info).getMessage()).startsWith(expected);
    }

    @Test
    void aBadPropertyValueIsNotRescuedByAGoodUrlValue() {
        Properties info = new Properties();
        info.setProperty("probeTimeout", "soon");
        assertThat(invalid("jdbc:pgha://h1/db?probeTimeout=1s", info).getMessage())
                .startsWith("Invalid value for pgha property probeTimeout: 'soon' (");
    }

    @Test
    void maxReplicaLagMustExceedProbeInterval() throws SQLException {
        assertThat(invalid("jdbc:pgha://h1/db?maxReplicaLag=500ms", null).getMessage()).isEqualTo(
                "Invalid value for pgha property maxReplicaLag: '500ms' (must be greater than probeInterval, 500ms,"
                        + " because the lag bound includes the probe interval)");
        assertThat(invalid("jdbc:pgha://h1/db?maxReplicaLag=1s&probeInterval=2s", null).getMessage())
                .startsWith("Invalid value for pgha property maxReplicaLag: '1s' (must be greater than probeInterval, 2s,");
        assertThat(invalid("jdbc:pgha://h1/db?probeInterval=2s", null).getMessage())
                .startsWith("Invalid value for pgha property probeInterval: '2s' (must be less than maxReplicaLag, 2s");
        assertThat(PghaConfig.parse("jdbc:pgha://h1/db?maxReplicaLag=501ms", null).duration(PghaProperty.MAX_REPLICA_LAG))
                .isEqualTo(Duration.ofMillis(501));
        assertThat(PghaConfig.parse("jdbc:pgha://h1/db?maxReplicaLag=3s&probeInterval=2s", null).duration(PghaProperty.PROBE_INTERVAL))
                .isEqualTo(Duration.ofSeconds(2));
    }

    @ParameterizedTest
    @CsvSource({"maxreplicalag,maxReplicaLag", "MaxReplicaLag,maxReplicaLag", "LOADBALANCE,loadBalance",
            "probetimeout,probeTimeout", "sslMode,sslmode", "SSLMODE,sslmode", "ssl_mode,sslmode", "Password,password",
            "sslRootCert,sslrootcert", "applicationName,ApplicationName"})
    void aKnownNameInAnotherCaseIsRejectedNotPassedThrough(String name, String meant) {
        String expected = "Unknown property '" + name + "': did you mean " + meant
                + "? (property names are case-sensitive, and ";
        assertThat(invalid("jdbc:pgha://h1/db?" + name + "=verify-full", null).getMessage()).startsWith(expected);
        Properties info = new Properties();
        info.setProperty(name, "verify-full");
        assertThat(invalid("jdbc:pgha://h1/db", info).getMessage()).startsWith(expected);
    }

    @ParameterizedTest
    @CsvSource({"maxReplicaLagg,maxReplicaLag", "maxReplicaLg,maxReplicaLag", "readFalback,readFallback",
            "failoverTimout,failoverTimeout", "sslmod,sslmode", "sslrootcer,sslrootcert", "failureTreshold,failureThreshold"})
    void aNearMissOfAKnownNameIsRejectedWithTheRightName(String name, String meant) {
        assertThat(invalid("jdbc:pgha://h1/db?" + name + "=1s", null).getMessage())
                .startsWith("Unknown property '" + name + "': did you mean " + meant + "? (");
        Properties info = new Properties();
        info.setProperty(name, "1s");
        assertThat(invalid("jdbc:pgha://h1/db", info).getMessage())
                .startsWith("Unknown property '" + name + "': did you mean " + meant + "? (");
    }

    @Test
    void anUnknownUrlParameterIsRejectedWithoutItsNameAndAnUnknownPropertyPassesThrough() throws SQLException {
        SQLException e = invalid("jdbc:pgha://h1/db?user=alice&password=ab&zq81Kp7&sslmode=require", null);
        assertThat(e.getMessage()).startsWith("A parameter of the pgha URL is neither a pgha nor a pgjdbc property")
                .contains("%26").doesNotContain("zq81Kp7");
        Properties info = new Properties();
        info.setProperty("myFrameworkSetting", "x");
        assertThat(PghaConfig.parse("jdbc:pgha://h1/db", info).pgjdbcProperties()).containsEntry("myFrameworkSetting", "x");
        assertThat(PghaConfig.parse("jdbc:pgha://h1/db", info).toString()).contains("1 other").doesNotContain("myFramework");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[:::::]", "[1:2:3:4:5:6:7:8:9]", "[12345::]", "[::1::2]", "[:]"})
    void aMalformedIpv6AddressIsRejectedAtOnce(String host) {
        assertThat(invalid("jdbc:pgha://" + host + ":5432/db", null).getMessage())
                .startsWith("Invalid host '" + host + ":5432' in the pgha URL: '" + host.substring(1, host.length() - 1)
                        + "' is not an IPv6 address");
    }

    @Test
    void twoSpellingsOfOneIpv6AddressAreOneHost() throws SQLException {
        assertThat(invalid("jdbc:pgha://[::1]:5433,[0:0:0:0:0:0:0:1]:5433/db", null).getMessage())
                .startsWith("Duplicate host in the pgha URL: '[::1]:5433' and '[0:0:0:0:0:0:0:1]:5433'");
        assertThat(PghaConfig.parse("jdbc:pgha://[2001:db8::5],[::1]:5433/db", null).hosts())
                .extracting(HostSpec::toString).containsExactly("[2001:db8::5]:5432", "[::1]:5433");
    }

    @Test
    void aPlusInAUrlPasswordIsRejectedAndItsPercentEncodingAccepted() throws SQLException {
        SQLException e = invalid("jdbc:pgha://h1/db?password=se+cret", null);
        assertThat(e.getMessage()).contains("'password'", "'+'", "%2B").doesNotContain("se+cret").doesNotContain("cret");
        assertThat(PghaConfig.parse("jdbc:pgha://h1/db?password=se%2Bcr%26et", null).pgjdbcProperties())
                .containsEntry("password", "se+cr&et");
        assertThat(PghaConfig.parse("jdbc:pgha://h1/db?ApplicationName=a+b", null).pgjdbcProperties())
                .containsEntry("ApplicationName", "a b");
    }

    @ParameterizedTest
    @ValueSource(strings = {"targetServerType=primary", "loadBalanceHosts=true", "hostRecheckSeconds=5"})
    void pgjdbcsOwnMultiHostRoutingIsRefusedByName(String setting) {
        String name = setting.substring(0, setting.indexOf('='));
        Throwable refused = invalid("jdbc:pgha://h1,h2/db?" + setting, null);
        assertThat(refused)
                .hasMessageStartingWith("The pgjdbc property '" + name + "' does not apply to a pgha URL: ")
                .hasMessageEndingWith("Remove it (see docs/migration.md)")
                .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("08001");
        Properties info = new Properties();
        info.setProperty(name, setting.substring(name.length() + 1));
        Throwable inProperties = invalid("jdbc:pgha://h1/db", info);
        assertThat(inProperties).hasMessageContaining("'" + name + "'");
    }

    @Test
    void nonStringPropertiesAreRejectedNamingTheKey() {
        Properties info = new Properties();
        info.put("connectTimeout", 10);
        assertThat(invalid("jdbc:pgha://h1/db", info).getMessage())
                .isEqualTo("Invalid connection property 'connectTimeout': keys and values must be strings"
                        + " (use Properties.setProperty), not Integer");
    }

    // ---- URL errors ----

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // not a pgha URL, or no //
        "jdbc:postgresql://h1/db | Not a pgha URL: it must start with jdbc:pgha://",
        "jdbc:pgha:h1/db | Malformed pgha URL: jdbc:pgha: must be followed by // and the hosts",
        "jdbc:pgha:/h1/db | Malformed pgha URL",
        "jdbc:pgha: | Malformed pgha URL",
        // hosts
        "jdbc:pgha:///db | The pgha URL names no host",
        "jdbc:pgha:// | The pgha URL names no host",
        "jdbc:pgha://?sslmode=require | The pgha URL names no host",
        "jdbc:pgha://h1,,h2/db | Empty host in the pgha URL's host list 'h1,,h2' (host 2 of 3)",
        "jdbc:pgha://,h1/db | Empty host in the pgha URL's host list ',h1' (host 1 of 2)",
        "jdbc:pgha://h1,/db | Empty host in the pgha URL's host list 'h1,' (host 2 of 2)",
        "jdbc:pgha://h1 h2/db | Invalid host 'h1 h2' in the pgha URL",
        "jdbc:pgha://h1;h2/db | Invalid host 'h1;h2' in the pgha URL",
        "jdbc:pgha://:5432/db | Invalid host ':5432' in the pgha URL",
        "jdbc:pgha://::1/db | Invalid host '::1' in the pgha URL: write an IPv6 address in brackets",
        "jdbc:pgha://[::1/db | Invalid host '[::1' in the pgha URL: an IPv6 address in brackets needs its closing ']'",
        "jdbc:pgha://[]/db | Invalid host '[]' in the pgha URL: '' is not an IPv6 address",
        "jdbc:pgha://[db1.example.org]/db | Invalid host '[db1.example.org]' in the pgha URL: 'db1.example.org' is not an IPv6 address",
        "jdbc:pgha://[::1]5432/db | Invalid host '[::1]5432' in the pgha URL: expected ':port' or nothing after ']'",
        // ports
        "jdbc:pgha://h1:abc/db | Invalid port 'abc' for host 'h1' in the pgha URL (a number from 1 to 65535)",
        "jdbc:pgha://h1:/db | Invalid port '' for host 'h1' in the pgha URL (a number from 1 to 65535)",
        "jdbc:pgha://h1:0/db | Invalid port '0' for host 'h1'",
        "jdbc:pgha://h1:65536/db | Invalid port '65536' for host 'h1'",
        "jdbc:pgha://h1:-1/db | Invalid port '-1' for host 'h1'",
        "jdbc:pgha://h1:+80/db | Invalid port '+80' for host 'h1'",
        "jdbc:pgha://h1:99999999999/db | Invalid port '99999999999' for host 'h1'",
        "jdbc:pgha://[::1]:70000/db | Invalid port '70000' for host '::1'",
        // duplicates
        "jdbc:pgha://h1,h1/db | Duplicate host in the pgha URL: 'h1' and 'h1' both name h1:5432",
        "jdbc:pgha://h1,h1:5432/db | Duplicate host in the pgha URL: 'h1' and 'h1:5432' both name h1:5432",
        "jdbc:pgha://db1.example.org,DB1.Example.org/db | Duplicate host in the pgha URL: 'db1.example.org' and 'DB1.Example.org'",
        "jdbc:pgha://h1:5433,h2,h1:5433/db | Duplicate host in the pgha URL: 'h1:5433' and 'h1:5433' both name h1:5433",
        "jdbc:pgha://[::1],[::1]:5432/db | Duplicate host in the pgha URL: '[::1]' and '[::1]:5432' both name [::1]:5432",
        // database
        "jdbc:pgha://h1 | The pgha URL names no database",
        "jdbc:pgha://h1/ | The pgha URL names no database",
        "jdbc:pgha://h1,h2/?maxReplicaLag=1s | The pgha URL names no database",
        "jdbc:pgha://h1?sslmode=require | The pgha URL names no database",
        "jdbc:pgha://h1/%20 | The pgha URL names no database",
        "jdbc:pgha://h1/db/extra | Invalid database 'db/extra' in the pgha URL: it contains '/'",
        "jdbc:pgha://h1/db%zz | Invalid database 'db%zz' in the pgha URL: bad percent-encoding",
        "jdbc:pgha://h1/db&sslmode=require | The database name in the pgha URL contains '=', '&' or ';'",
        // parameters
        "jdbc:pgha://h1/db?=1s | A parameter of the pgha URL has no name",
        "jdbc:pgha://h1/db?sslmode=%zz | Invalid value of URL parameter 'sslmode' in the pgha URL: bad percent-encoding",
        "jdbc:pgha://h1/db?%zz=1 | Invalid URL parameter name in the pgha URL: bad percent-encoding",
        "jdbc:pgha://h1/db?maxReplicaLag=1s&maxReplicaLag=3s | URL parameter 'maxReplicaLag' is given twice in the pgha URL",
        "jdbc:pgha://h1/db?sslmode=disable&sslmode=require | URL parameter 'sslmode' is given twice in the pgha URL",
        "jdbc:pgha://h1/db?mystery=1&mystery=2 | URL parameter (a name that is not a pgha or pgjdbc property) is given twice",
    })
    void malformedUrlsAreRejectedNamingThePiece(String url, String expected) {
        assertThat(invalid(url, null).getMessage()).startsWith(expected);
    }

    @Test
    void aNullUrlIsRejected() {
        assertThat(invalid(null, null).getMessage()).startsWith("The pgha URL is null");
    }

    // ---- host forms and decoding ----

    @Test
    void ipv6AndIpv4Hosts() throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://[::1]:5433,[2001:DB8::2],10.0.0.7:6432,[::ffff:10.0.0.8]/db", null);
        assertThat(config.hosts()).containsExactly(
                new HostSpec("::1", 5433), new HostSpec("2001:DB8::2", 5432),
                new HostSpec("10.0.0.7", 6432), new HostSpec("::ffff:10.0.0.8", 5432));
        assertThat(config.pgjdbcUrl(config.hosts().get(0))).isEqualTo("jdbc:postgresql://[::1]:5433/db");
    }

    @Test
    void hostNamesKeepTheirSpelling() throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://DB1.Example.org,db_2,db-3.local/db", null);
        assertThat(config.hosts()).extracting(HostSpec::host).containsExactly("DB1.Example.org", "db_2", "db-3.local");
    }

    @Test
    void namesValuesAndDatabaseArePercentDecoded() throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1/my%20db%C3%A9?ApplicationName=EHR%20ward%E2%80%933"
                + "&password=p%26ss%3Dw%25rd&maxReplica%4Cag=3s&options=-c+search_path%3Dehr", null);
        assertThat(config.database()).isEqualTo("my dbé");
        assertThat(config.duration(PghaProperty.MAX_REPLICA_LAG)).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.pgjdbcProperties())
                .containsEntry("ApplicationName", "EHR ward–3")
                .containsEntry("password", "p&ss=w%rd")
                .containsEntry("options", "-c search_path=ehr");
    }

    @Test
    void emptyAndValuelessParameters() throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1/db?&ssl&&sslmode=require&", null);
        assertThat(config.pgjdbcProperties()).containsOnlyKeys("ssl", "sslmode").containsEntry("ssl", "");
        assertThat(invalid("jdbc:pgha://h1/db?readYourWrites", null).getMessage())
                .isEqualTo("Invalid value for pgha property readYourWrites: '' (true or false)");
    }

    // ---- pass-through ----

    @Test
    void unknownPropertiesPassThroughAndPghaPropertiesDoNot() throws SQLException {
        Properties info = new Properties();
        info.setProperty("password", PASSWORD);
        info.setProperty("connectTimeout", "5");
        info.setProperty("probeTimeout", "2s");
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1,h2/db?sslmode=verify-full&ApplicationName=ehr"
                + "&user=alice&maxReplicaLag=3s&loadBalance=random", info);
        Properties pgjdbc = config.pgjdbcProperties();
        assertThat(pgjdbc).containsOnlyKeys("sslmode", "ApplicationName", "user", "password", "connectTimeout");
        assertThat(pgjdbc).containsEntry("sslmode", "verify-full").containsEntry("ApplicationName", "ehr")
                .containsEntry("user", "alice").containsEntry("password", PASSWORD).containsEntry("connectTimeout", "5");
        assertThat(config.user()).isEqualTo("alice");
        assertThat(config.duration(PghaProperty.PROBE_TIMEOUT)).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.duration(PghaProperty.MAX_REPLICA_LAG)).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void pgjdbcPropertiesIsAFreshCopy() throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1/db?sslmode=require", null);
        config.pgjdbcProperties().setProperty("sslmode", "disable");
        config.pgjdbcProperties().setProperty("password", "x");
        assertThat(config.pgjdbcProperties()).containsOnlyKeys("sslmode").containsEntry("sslmode", "require");
        assertThat(config.pgjdbcProperties()).isNotSameAs(config.pgjdbcProperties());
    }

    @Test
    void configIsUnaffectedByLaterChangesToTheGivenProperties() throws SQLException {
        Properties info = new Properties();
        info.setProperty("loadBalance", "random");
        info.setProperty("sslmode", "require");
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1/db", info);
        info.setProperty("loadBalance", "leastLag");
        info.setProperty("sslmode", "disable");
        assertThat(config.choice(PghaProperty.LOAD_BALANCE, LoadBalance.class)).isEqualTo(LoadBalance.RANDOM);
        assertThat(config.pgjdbcProperties()).containsEntry("sslmode", "require");
        assertThatThrownBy(() -> config.hosts().add(new HostSpec("h9", 5432)))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    // ---- passwords ----

    static Stream<Arguments> failingConfigsWithAPassword() {
        Properties withPassword = new Properties();
        withPassword.setProperty("password", PASSWORD);
        Properties badWithPassword = new Properties();
        badWithPassword.setProperty("password", PASSWORD);
        badWithPassword.setProperty("probeInterval", "-1s");
        Properties nonString = new Properties();
        nonString.put("password", new StringBuilder(PASSWORD));
        String q = "password=" + PASSWORD;
        return Stream.of(
                Arguments.of("jdbc:pgha://h1/db?" + q + "&maxReplicaLag=-5s", null),
                Arguments.of("jdbc:pgha://h1/db?" + q + "&loadBalance=nearest", withPassword),
                Arguments.of("jdbc:pgha://h1,,h2/db?" + q, null),
                Arguments.of("jdbc:pgha://h1,h1/db?" + q, null),
                Arguments.of("jdbc:pgha://h1:99999/db?" + q, null),
                Arguments.of("jdbc:pgha://h1?" + q, null),
                Arguments.of("jdbc:pgha://h1/db&" + q, null),
                Arguments.of("jdbc:pgha://h1/db;" + q, null),
                Arguments.of("jdbc:pgha://alice:" + PASSWORD + "@h1/db", null),
                Arguments.of("jdbc:pgha://h1/db?" + q + "&" + q, null),
                Arguments.of("jdbc:pgha://h1/db?password=" + PASSWORD + "%zz", null),
                Arguments.of("jdbc:pgha://h1/db?password=ab&" + PASSWORD + "&" + PASSWORD, null),
                Arguments.of("jdbc:pgha://h1/db?password=ab&" + PASSWORD + "%zz=1", null),
                Arguments.of("jdbc:pgha://h1/db?" + q + "&maxReplicaLag=400ms", null),
                Arguments.of("jdbc:pgha:h1/db?" + q, null),
                Arguments.of("jdbc:pgha://h1/db", badWithPassword),
                Arguments.of("jdbc:pgha://h1/db", nonString));
    }

    @ParameterizedTest
    @MethodSource("failingConfigsWithAPassword")
    void noErrorMessageShowsThePassword(String url, Properties info) {
        SQLException e = invalid(url, info);
        assertThat(e.getMessage()).doesNotContain(PASSWORD).doesNotContain(PASSWORD.substring(0, 6));
        assertThat(e.toString()).doesNotContain(PASSWORD);
    }

    @Test
    void toStringShowsEverythingButThePassword() throws SQLException {
        Properties info = new Properties();
        info.setProperty("sslpassword", PASSWORD + "-key");
        info.setProperty("user", "alice");
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1,[::1]:5433/ehr?password=" + PASSWORD
                + "&sslmode=require&maxReplicaLagBytes=1048576&probeTimeout=1500", info);
        String text = config.toString();
        assertThat(text).doesNotContain(PASSWORD)
                .contains("hosts=[h1:5432, [::1]:5433]", "database=ehr", "user=alice",
                        "maxReplicaLag=2s", "maxReplicaLagBytes=1048576", "readFallback=primary",
                        "loadBalance=roundRobin", "readYourWrites=true", "probeInterval=500ms",
                        "probeTimeout=1500ms", "failureThreshold=2",
                        "password=***", "sslpassword=***", "sslmode=require");
        for (PghaProperty property : PghaProperty.values()) {
            assertThat(text).contains(property.propertyName() + "=");
        }
        assertThat(PghaConfig.parse("jdbc:pgha://h1/ehr", null).toString()).contains("maxReplicaLagBytes=unset");
    }

    // ---- cluster key ----

    @Test
    void clusterKeyIgnoresHostOrderAndCase() throws SQLException {
        String key = key("jdbc:pgha://h2,H1:5432,h3:5433/ehr?user=alice");
        assertThat(key).isEqualTo("ehr@h1:5432,h2:5432,h3:5433#alice");
        assertThat(key("jdbc:pgha://h3:5433,h1,h2/ehr?user=alice")).isEqualTo(key);
        assertThat(key("jdbc:pgha://h1,h2,h3:5433/ehr?user=alice&password=other&maxReplicaLag=9s")).isEqualTo(key);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "jdbc:pgha://h1,h2,h3:5433/other?user=alice",
        "jdbc:pgha://h1,h2,h3:5433/ehr?user=bob",
        "jdbc:pgha://h1,h2,h3:5433/ehr?user=Alice",
        "jdbc:pgha://h1,h2,h3:5433/ehr",
        "jdbc:pgha://h1,h2,h3:5434/ehr?user=alice",
        "jdbc:pgha://h1,h2/ehr?user=alice",
        "jdbc:pgha://h1,h2,h3:5433,h4/ehr?user=alice",
    })
    void clusterKeyDiffersForAnotherClusterDatabaseOrUser(String url) throws SQLException {
        assertThat(key(url)).isNotEqualTo(key("jdbc:pgha://h1,h2,h3:5433/ehr?user=alice"));
    }

    @Test
    void clusterKeyIsUnambiguous() throws SQLException {
        assertThat(key("jdbc:pgha://h1/a%23b?user=c")).isNotEqualTo(key("jdbc:pgha://h1/a?user=b%23c"));
        assertThat(key("jdbc:pgha://h1/a%40h2?user=u")).isEqualTo("a%40h2@h1:5432#u");
        assertThat(key("jdbc:pgha://h1/db")).isEqualTo("db@h1:5432#");
        Properties info = new Properties();
        info.setProperty("user", "alice");
        assertThat(PghaConfig.parse("jdbc:pgha://h1/db", info).clusterKey()).isEqualTo(key("jdbc:pgha://h1/db?user=alice"));
    }

    // ---- pgjdbc URLs ----

    @Test
    void pgjdbcUrlHasHostPortAndDatabaseOnly() throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://db1.example.org,db2.example.org:5433/ehr?sslmode=require", null);
        assertThat(config.hosts()).extracting(config::pgjdbcUrl).containsExactly(
                "jdbc:postgresql://db1.example.org:5432/ehr", "jdbc:postgresql://db2.example.org:5433/ehr");
    }

    @Test
    void pgjdbcReadsBackAnEncodedDatabaseName() throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1/my%20db%2Fx%3Fy%26z%C3%A9", null);
        assertThat(config.database()).isEqualTo("my db/x?y&zé");
        Properties parsed = org.postgresql.Driver.parseURL(config.pgjdbcUrl(config.hosts().get(0)), null);
        assertThat(parsed).isNotNull();
        assertThat(parsed.getProperty("PGDBNAME")).isEqualTo("my db/x?y&zé");
        assertThat(parsed.getProperty("PGHOST")).isEqualTo("h1");
        assertThat(parsed.getProperty("PGPORT")).isEqualTo("5432");
    }

    private static String key(String url) throws SQLException {
        return PghaConfig.parse(url, null).clusterKey();
    }

    private static SQLException invalid(String url, Properties info) {
        SQLException e = catchThrowableOfType(SQLException.class, () -> PghaConfig.parse(url, info));
        assertThat((Throwable) e).as("accepted %s", url).isNotNull();
        assertThat(e.getSQLState()).isEqualTo(PghaSqlState.INVALID_CONFIGURATION);
        return e;
    }

    @Test
    void aPropertyReadWithTheAccessorOfAnotherTypeIsABug() throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1/db", null);
        assertThatThrownBy(() -> config.flag(PghaProperty.MAX_REPLICA_LAG))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxReplicaLag is a DURATION property, not a BOOLEAN one");
        assertThatThrownBy(() -> config.duration(PghaProperty.TRANSACTION_REPLAY_LIMIT))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> config.choice(PghaProperty.READ_FALLBACK, LoadBalance.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("readFallback is not a choice of LoadBalance");
    }

    @Test
    void aPropertyWithoutDefaultIsReadByAnAccessorThatAllowsItUnset() throws SQLException {
        PghaConfig config = PghaConfig.parse("jdbc:pgha://h1/db", null);
        assertThat(config.whole(PghaProperty.MAX_REPLICA_LAG_BYTES)).isEmpty();
        assertThat(config.text(PghaProperty.MONITOR_USER)).isNull();
    }

    /** {@link PghaConfig#choice} maps a spelling to a constant by position: the orders must agree. */
    @ParameterizedTest
    @CsvSource({"readFallback", "loadBalance", "sessionReset"})
    void everyChoiceReadsBackAsTheConstantSpeltSo(String name) throws SQLException {
        PghaProperty property = PghaProperty.forName(name).orElseThrow();
        for (String spelling : property.choices()) {
            PghaConfig config = PghaConfig.parse("jdbc:pgha://h1/db?" + name + "=" + spelling, null);
            String read = switch (property) {
                case READ_FALLBACK -> config.choice(property, ReadFallback.class).value();
                case LOAD_BALANCE -> config.choice(property, LoadBalance.class).value();
                default -> config.choice(property, SessionReset.class).value();
            };
            assertThat(read).isEqualTo(spelling);
        }
    }
}
