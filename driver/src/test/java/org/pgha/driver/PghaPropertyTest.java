package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.PGProperty;

class PghaPropertyTest {

    private static final Map<PghaProperty.Type, Class<?>> JAVA_TYPES = Map.of(
            PghaProperty.Type.DURATION, Duration.class,
            PghaProperty.Type.INTEGER, Integer.class,
            PghaProperty.Type.LONG, Long.class,
            PghaProperty.Type.BOOLEAN, Boolean.class,
            PghaProperty.Type.CHOICE, String.class,
            PghaProperty.Type.STRING, String.class);

    // ---- naming and metadata rules, as pgjdbc's PGPropertyTest has them ----

    @ParameterizedTest
    @EnumSource(PghaProperty.class)
    void nameIsLowerCamelCaseAndMatchesTheConstant(PghaProperty property) {
        assertThat(property.propertyName()).matches("[a-z][a-zA-Z0-9]*");
        String upperSnake = property.propertyName().replaceAll("([A-Z])", "_$1").toUpperCase(Locale.ROOT);
        assertThat(property.name()).isEqualTo(upperSnake);
    }

    @Test
    void namesAreUniqueEvenIgnoringCase() {
        Set<String> seen = new HashSet<>();
        for (PghaProperty property : PghaProperty.values()) {
            assertThat(seen.add(property.propertyName().toLowerCase(Locale.ROOT)))
                    .as("%s differs from another name only in case", property.propertyName())
                    .isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(PghaProperty.class)
    void noNameShadowsAPgjdbcProperty(PghaProperty property) {
        Set<String> pgjdbcNames = Arrays.stream(PGProperty.values())
                .map(p -> p.getName().toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        assertThat(pgjdbcNames).doesNotContain(property.propertyName().toLowerCase(Locale.ROOT));
    }

    @ParameterizedTest
    @EnumSource(PghaProperty.class)
    void everyPropertyHasASentenceOfDescription(PghaProperty property) {
        assertThat(property.description()).isNotBlank().endsWith(".");
        assertThat(property.description()).doesNotContain("|", "\n");
    }

    @ParameterizedTest
    @EnumSource(PghaProperty.class)
    void choicesExactlyForChoiceProperties(PghaProperty property) {
        if (property.type() == PghaProperty.Type.CHOICE) {
            assertThat(property.choices()).isNotEmpty().doesNotHaveDuplicates();
            assertThat(property.choices()).contains(property.defaultValue());
        } else {
            assertThat(property.choices()).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(PghaProperty.class)
    void defaultParsesWithItsOwnParserIntoTheDeclaredType(PghaProperty property) throws SQLException {
        if (property.defaultValue() == null) {
            assertThat(property).isIn(PghaProperty.MAX_REPLICA_LAG_BYTES, PghaProperty.MONITOR_USER,
                    PghaProperty.MONITOR_PASSWORD, PghaProperty.PATRONI, PghaProperty.PATRONI_USER,
                    PghaProperty.PATRONI_PASSWORD, PghaProperty.PATRONI_SSL_ROOT_CERT);
            return;
        }
        assertThat(property.parse(property.defaultValue())).isInstanceOf(JAVA_TYPES.get(property.type()));
    }

    @Test
    void typesAndDefaultsAreTheDocumentedOnes() {
        assertThat(Arrays.stream(PghaProperty.values())
                .map(p -> p.propertyName() + " " + p.type() + " " + p.defaultValue()))
                .containsExactly(
                        "maxReplicaLag DURATION 2s",
                        "maxReplicaLagBytes LONG null",
                        "readFallback CHOICE primary",
                        "readWaitTimeout DURATION 2s",
                        "loadBalance CHOICE roundRobin",
                        "readYourWrites BOOLEAN true",
                        "readYourWritesScope CHOICE connection",
                        "probeInterval DURATION 500ms",
                        "probeTimeout DURATION 1s",
                        "failureThreshold INTEGER 2",
                        "failoverTimeout DURATION 60s",
                        "exactlyOnceAutocommit BOOLEAN false",
                        "transactionReplay BOOLEAN true",
                        "followDivergedHistory BOOLEAN false",
                        "transactionReplayLimit INTEGER 1000",
                        "transactionReplayMaxBytes LONG 8388608",
                        "sessionReset CHOICE changed",
                        "monitorUser STRING null",
                        "monitorPassword STRING null",
                        "patroni STRING null",
                        "patroniUser STRING null",
                        "patroniPassword STRING null",
                        "patroniSslRootCert STRING null");
        assertThat(PghaProperty.READ_FALLBACK.choices()).containsExactly("primary", "fail", "wait");
        assertThat(PghaProperty.LOAD_BALANCE.choices()).containsExactly("roundRobin", "leastLag", "random");
        assertThat(PghaProperty.SESSION_RESET.choices()).containsExactly("changed", "always");
        assertThat(PghaProperty.READ_YOUR_WRITES_SCOPE.choices()).containsExactly("connection", "thread", "dataSource");
    }

    @Test
    void defaultLagBoundExceedsDefaultProbeInterval() throws SQLException {
        Duration lag = (Duration) PghaProperty.MAX_REPLICA_LAG.parse(PghaProperty.MAX_REPLICA_LAG.defaultValue());
        Duration interval = (Duration) PghaProperty.PROBE_INTERVAL.parse(PghaProperty.PROBE_INTERVAL.defaultValue());
        assertThat(lag).isGreaterThan(interval);
    }

    @ParameterizedTest
    @EnumSource(PghaProperty.class)
    void forNameFindsEachPropertyByItsExactName(PghaProperty property) {
        assertThat(PghaProperty.forName(property.propertyName())).contains(property);
        assertThat(PghaProperty.forName(property.propertyName().toUpperCase(Locale.ROOT))).isEmpty();
        assertThat(PghaProperty.forName(property.name())).isEmpty();
    }

    @Test
    void forNameIsEmptyForOtherNames() {
        assertThat(PghaProperty.forName("sslmode")).isEmpty();
        assertThat(PghaProperty.forName("")).isEmpty();
        assertThat(PghaProperty.forName(null)).isEmpty();
    }

    // ---- durations ----

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "500ms | 500",
        "2s | 2000",
        "1m | 60000",
        "1500 | 1500",
        "1 | 1",
        "'  2s  ' | 2000",
        "'\t750ms\n' | 750",
        "2147483647 | 2147483647",
        "2147483s | 2147483000",
        "35791m | 2147460000",
        "0010s | 10000",
    })
    void durationForms(String text, long millis) throws SQLException {
        assertThat(PghaProperty.PROBE_TIMEOUT.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "-5s", "-1", "0", "0ms", "0s", "0m", "", "   ", "1.5s", "2h", "2 s", "s", "ms", "ms2", "2S",
        "1sec", "+2s", "2147483648", "2147484s", "35792m", "9223372036854775808", "99999999999999999999s",
        "PT2S", "2s2", "2s,",
    })
    void badDurationsAreRejectedNamingPropertyAndValue(String text) {
        SQLException e = invalid(PghaProperty.MAX_REPLICA_LAG, text);
        assertThat(e.getMessage()).isEqualTo("Invalid value for pgha property maxReplicaLag: '" + text
                + "' (a duration such as 500ms, 2s or 1m, greater than zero and at most 2147483647ms)");
    }

    // ---- booleans, numbers, choices ----

    @ParameterizedTest
    @CsvSource({"true,true", "TRUE,true", "True,true", "false,false", "FALSE,false", "' false ',false"})
    void booleans(String text, boolean expected) throws SQLException {
        assertThat(PghaProperty.READ_YOUR_WRITES.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "no", "1", "0", "on", "off", "tru", "", "t", "true false"})
    void badBooleansAreRejected(String text) {
        assertThat(invalid(PghaProperty.READ_YOUR_WRITES, text).getMessage())
                .isEqualTo("Invalid value for pgha property readYourWrites: '" + text + "' (true or false)");
    }

    @ParameterizedTest
    @CsvSource({"1,1", "2,2", "' 7 ',7", "2147483647,2147483647", "+3,3"})
    void integers(String text, int expected) throws SQLException {
        assertThat(PghaProperty.FAILURE_THRESHOLD.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "2147483648", "two", "1.0", "", "1e3", "0x10", "1_000"})
    void badIntegersAreRejected(String text) {
        assertThat(invalid(PghaProperty.FAILURE_THRESHOLD, text).getMessage())
                .isEqualTo("Invalid value for pgha property failureThreshold: '" + text
                        + "' (a whole number from 1 to 2147483647)");
    }

    @ParameterizedTest
    @CsvSource({"0,0", "16777216,16777216", "9223372036854775807,9223372036854775807"})
    void longs(String text, long expected) throws SQLException {
        assertThat(PghaProperty.MAX_REPLICA_LAG_BYTES.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "9223372036854775808", "1e6", "16MB", "", "lots"})
    void badLongsAreRejected(String text) {
        assertThat(invalid(PghaProperty.MAX_REPLICA_LAG_BYTES, text).getMessage())
                .isEqualTo("Invalid value for pgha property maxReplicaLagBytes: '" + text
                        + "' (a whole number from 0 to 9223372036854775807)");
    }

    @ParameterizedTest
    @CsvSource({
        "READ_FALLBACK,primary,primary", "READ_FALLBACK,FAIL,fail", "READ_FALLBACK,' Primary ',primary",
        "LOAD_BALANCE,roundRobin,roundRobin", "LOAD_BALANCE,leastlag,leastLag", "LOAD_BALANCE,RANDOM,random",
    })
    void choicesMatchIgnoringCaseAndReturnTheCanonicalSpelling(PghaProperty property, String text, String canonical)
            throws SQLException {
        assertThat(property.parse(text)).isEqualTo(canonical);
    }

    @ParameterizedTest
    @CsvSource({
        "READ_FALLBACK,secondary,'one of primary, fail, wait'",
        "READ_FALLBACK,'','one of primary, fail, wait'",
        "LOAD_BALANCE,round-robin,'one of roundRobin, leastLag, random'",
        "LOAD_BALANCE,ROUND_ROBIN,'one of roundRobin, leastLag, random'",
    })
    void badChoicesAreRejectedListingTheChoices(PghaProperty property, String text, String expectation) {
        assertThat(invalid(property, text).getMessage()).isEqualTo("Invalid value for pgha property "
                + property.propertyName() + ": '" + text + "' (" + expectation + ")");
    }

    @ParameterizedTest
    @EnumSource(PghaProperty.class)
    void nullIsRejected(PghaProperty property) {
        assertThat(invalid(property, null).getMessage())
                .startsWith("Invalid value for pgha property " + property.propertyName() + ": null (");
    }

    @Test
    void messagesShowALongOrControlCharacterValueSafely() {
        String tooLong = "9".repeat(200);
        assertThat(invalid(PghaProperty.PROBE_INTERVAL, tooLong).getMessage())
                .contains("'" + "9".repeat(64) + "...'").doesNotContain("9".repeat(65));
        assertThat(invalid(PghaProperty.PROBE_INTERVAL, "1s\r\nX-Injected: yes").getMessage())
                .contains("'1s??X-Injected: yes'").doesNotContain("\n").doesNotContain("\r");
    }

    // ---- getPropertyInfo ----

    @Test
    void propertyInfoListsEveryPropertyWithItsDefault() {
        DriverPropertyInfo[] infos = PghaProperty.propertyInfo(null);
        assertThat(infos).hasSize(PghaProperty.values().length);
        for (int i = 0; i < infos.length; i++) {
            PghaProperty property = PghaProperty.values()[i];
            assertThat(infos[i].name).isEqualTo(property.propertyName());
            assertThat(infos[i].value).isEqualTo(property.defaultValue());
            assertThat(infos[i].description).isEqualTo(property.description());
            assertThat(infos[i].required).isFalse();
            if (property.type() == PghaProperty.Type.CHOICE) {
                assertThat(infos[i].choices).containsExactlyElementsOf(property.choices());
            } else {
                assertThat(infos[i].choices).isNull();
            }
        }
    }

    @Test
    void propertyInfoShowsGivenValues() {
        Properties given = new Properties();
        given.setProperty("maxReplicaLag", "5s");
        given.setProperty("loadBalance", "random");
        given.setProperty("sslmode", "require");
        Map<String, String> values = Arrays.stream(PghaProperty.propertyInfo(given))
                .filter(i -> i.value != null)
                .collect(Collectors.toMap(i -> i.name, i -> i.value));
        assertThat(values).containsEntry("maxReplicaLag", "5s")
                .containsEntry("loadBalance", "random")
                .containsEntry("probeInterval", "500ms")
                .doesNotContainKey("sslmode");
    }

    @ParameterizedTest
    @CsvSource({"60000,1m", "120000,2m", "2000,2s", "1500,1500ms", "61000,61s", "1,1ms", "0,0ms"})
    void durationsAreFormattedInTheLargestExactUnit(long millis, String text) throws SQLException {
        assertThat(PghaProperty.formatDuration(Duration.ofMillis(millis))).isEqualTo(text);
        if (millis > 0) {
            assertThat(PghaProperty.PROBE_INTERVAL.parse(text)).isEqualTo(Duration.ofMillis(millis));
        }
    }

    // ---- the generated reference ----

    @Test
    void configurationReferenceIsUpToDate() throws IOException {
        Path file = Path.of("..", "docs", "configuration.md");
        String document = Files.readString(file, StandardCharsets.UTF_8);
        assertThat(ConfigurationDocs.tableIn(document))
                .as("the property table of %s is missing or out of date with PghaProperty;"
                        + " regenerate it from the repository's root with:%n%s%n",
                        file.toAbsolutePath().normalize(), ConfigurationDocs.REGENERATE)
                .isEqualTo(ConfigurationDocs.table());
    }

    @Test
    void generatedTableHasARowPerPropertyWithItsDefaultAndChoices() {
        String[] rows = ConfigurationDocs.table().split("\n");
        assertThat(rows).hasSize(2 + PghaProperty.values().length);
        assertThat(rows[0]).isEqualTo("| property | type | default | allowed values | description |");
        for (int i = 0; i < PghaProperty.values().length; i++) {
            PghaProperty property = PghaProperty.values()[i];
            String row = rows[2 + i];
            assertThat(row).startsWith("| `" + property.propertyName() + "` | " + property.type().displayName() + " | ")
                    .endsWith(" | " + property.description() + " |")
                    .contains(property.defaultValue() == null ? "| unset |" : "| `" + property.defaultValue() + "` |");
            property.choices().forEach(choice -> assertThat(row).contains("`" + choice + "`"));
        }
    }

    @Test
    void regeneratingReplacesOnlyTheTable() {
        String stale = "# Title\n\nintro\n\n" + ConfigurationDocs.BEGIN + "\n| old |\n" + ConfigurationDocs.END
                + "\n\noutro\n";
        String fresh = ConfigurationDocs.withTable(stale);
        assertThat(ConfigurationDocs.tableIn(stale)).isNotEqualTo(ConfigurationDocs.table());
        assertThat(ConfigurationDocs.tableIn(fresh)).isEqualTo(ConfigurationDocs.table());
        assertThat(fresh).startsWith("# Title\n\nintro\n\n").endsWith(ConfigurationDocs.END + "\n\noutro\n");
        assertThat(ConfigurationDocs.withTable(fresh)).isEqualTo(fresh);
        assertThat(ConfigurationDocs.tableIn("no markers")).isNull();
        assertThatThrownBy(() -> ConfigurationDocs.withTable("no markers"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static SQLException invalid(PghaProperty property, String text) {
        SQLException e = catchThrowableOfType(SQLException.class, () -> property.parse(text));
        assertThat((Throwable) e).as("%s accepted %s", property.propertyName(), text).isNotNull();
        assertThat(e.getSQLState()).isEqualTo(PghaSqlState.INVALID_CONFIGURATION);
        return e;
    }
}
