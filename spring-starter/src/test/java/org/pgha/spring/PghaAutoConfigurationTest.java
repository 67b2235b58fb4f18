package org.pgha.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.pgha.driver.PghaProperty;
import org.pgha.pool.PghaPoolDataSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.UrlResource;
import org.springframework.core.io.support.PropertiesLoaderUtils;
import org.springframework.core.io.support.SpringFactoriesLoader;

/** The auto-configuration without a database: what it creates, what it binds, when it backs off, how it fails. */
class PghaAutoConfigurationTest {

    private static final String PGHA_URL = "spring.datasource.url=jdbc:pgha://127.0.0.1:1,127.0.0.1:2/ehr";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PghaAutoConfiguration.class, PghaHealthAutoConfiguration.class,
                    Boot.dataSourceAutoConfiguration()));

    @Test
    void aPghaUrlGivesAPghaPoolDataSourceConfiguredFromSpringDatasourceAndHikari() {
        runner.withPropertyValues(PGHA_URL, "spring.datasource.username=ehr", "spring.datasource.password=s3cret",
                "spring.datasource.name=charts", "spring.datasource.hikari.maximum-pool-size=7",
                "spring.datasource.hikari.connection-timeout=4000", "spring.datasource.hikari.replica-maximum-pool-size=3",
                "spring.datasource.hikari.replica-minimum-idle=1",
                "spring.datasource.hikari.data-source-properties.sslmode=disable").run(context -> {
                    assertThat(context).hasSingleBean(DataSource.class).hasSingleBean(PghaPoolDataSource.class);
                    PghaPoolDataSource ds = context.getBean(PghaPoolDataSource.class);
                    assertThat(ds.getJdbcUrl()).isEqualTo("jdbc:pgha://127.0.0.1:1,127.0.0.1:2/ehr");
                    assertThat(ds.getUsername()).isEqualTo("ehr");
                    assertThat(ds.getPassword()).isEqualTo("s3cret");
                    assertThat(ds.getPoolName()).isEqualTo("charts");
                    assertThat(ds.getMaximumPoolSize()).isEqualTo(7);
                    assertThat(ds.getConnectionTimeout()).isEqualTo(4000);
                    assertThat(ds.getReplicaMaximumPoolSize()).isEqualTo(3);
                    assertThat(ds.getReplicaMinimumIdle()).isEqualTo(1);
                    assertThat(ds.getDataSourceProperties()).containsEntry("sslmode", "disable");
                    assertThat(ds.isClosed()).as("nothing started before the first connection").isFalse();
                });
    }

    @Test
    void everyPghaPropertyIsBoundInSpringSyntaxAndHandedToTheDriverInItsOwn() {
        List<String> values = new ArrayList<>(List.of(PGHA_URL));
        Map<String, String> expected = new LinkedHashMap<>();
        for (PghaProperty p : PghaProperty.values()) {
            String[] given = sampleValue(p);
            values.add(ConfigurationMetadata.springName(p) + "=" + given[0]);
            expected.put(p.propertyName(), given[1]);
        }
        runner.withPropertyValues(values.toArray(new String[0])).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(PghaPoolDataSource.class).getDataSourceProperties())
                    .containsAllEntriesOf(expected);
        });
    }

    /** A value other than the default, as a Spring user writes it, and as the driver must receive it. */
    private static String[] sampleValue(PghaProperty p) {
        return switch (p.type()) {
            case DURATION -> new String[] {"PT7S", "7s"};
            case INTEGER, LONG -> new String[] {"7", "7"};
            case BOOLEAN -> {
                String other = String.valueOf(!"true".equals(PghaSettings.springDefault(p)));
                yield new String[] {other, other};
            }
            case CHOICE -> {
                String choice = p.choices().stream().filter(c -> !c.equals(PghaSettings.springDefault(p)))
                        .max(java.util.Comparator.comparing(c -> !c.equals(c.toLowerCase(Locale.ROOT)))).orElseThrow();
                yield new String[] {choice.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT), choice};
            }
            case STRING -> p == PghaProperty.PATRONI ? new String[] {"http://127.0.0.1:1", "http://127.0.0.1:1"}
                    : new String[] {"pgha_probe", "pgha_probe"};
        };
    }

    @Test
    void readsSeeTheWritesOfTheWholeDataSourceUnlessTheApplicationOrItsUrlSaysOtherwise() {
        runner.withPropertyValues(PGHA_URL).run(context -> assertThat(
                context.getBean(PghaPoolDataSource.class).getDataSourceProperties())
                .containsEntry("readYourWritesScope", "dataSource"));
        runner.withPropertyValues(PGHA_URL, "pgha.read-your-writes-scope=thread").run(context -> assertThat(
                context.getBean(PghaPoolDataSource.class).getDataSourceProperties())
                .containsEntry("readYourWritesScope", "thread"));
        runner.withPropertyValues("spring.datasource.url=jdbc:pgha://h1,h2/db?sslmode=disable&readYourWritesScope=connection")
                .run(context -> assertThat(context.getBean(PghaPoolDataSource.class).getDataSourceProperties())
                        .as("the URL's own setting is not overridden").doesNotContainKey("readYourWritesScope"));
    }

    @Test
    void relaxedNamesAndEnvironmentVariablesAreOneProperty() {
        runner.withPropertyValues(PGHA_URL, "pgha.maxReplicaLag=3s", "pgha.probe_interval=250ms")
                .withInitializer(context -> context.getEnvironment().getPropertySources().replace(
                        StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                                Map.of("PGHA_FAILOVERTIMEOUT", "45s"))))
                .run(context -> assertThat(context.getBean(PghaPoolDataSource.class).getDataSourceProperties())
                        .containsEntry("maxReplicaLag", "3s")
                        .containsEntry("probeInterval", "250ms")
                        .containsEntry("failoverTimeout", "45s"));
    }

    @Test
    void customizersRunAfterThePropertiesAndMetersGoToTheApplicationsRegistry() {
        MeterRegistry registry = new SimpleMeterRegistry();
        runner.withPropertyValues(PGHA_URL, "spring.datasource.hikari.maximum-pool-size=7")
                .withBean(MeterRegistry.class, () -> registry)
                .withBean(PghaPoolDataSourceCustomizer.class, () -> ds -> ds.setMaximumPoolSize(ds.getMaximumPoolSize() + 1))
                .run(context -> {
                    PghaPoolDataSource ds = context.getBean(PghaPoolDataSource.class);
                    assertThat(ds.getMaximumPoolSize()).isEqualTo(8);
                    assertThat(ds.getMetricRegistry()).isSameAs(registry);
                });
    }

    @Test
    void backsOffWhenTheApplicationDefinesItsOwnDataSource() {
        runner.withPropertyValues(PGHA_URL).withUserConfiguration(OwnDataSource.class).run(context -> {
            assertThat(context).hasSingleBean(DataSource.class).doesNotHaveBean(PghaPoolDataSource.class)
                    .doesNotHaveBean(PghaHealthAutoConfiguration.BEAN);
            assertThat(context.getBean(DataSource.class)).isSameAs(context.getBean(OwnDataSource.class).own);
        });
    }

    @Test
    void theApplicationsOwnPghaPoolDataSourceGetsTheHealthIndicator() {
        runner.withPropertyValues(PGHA_URL).withUserConfiguration(OwnPghaDataSource.class).run(context -> {
            assertThat(context).hasSingleBean(PghaPoolDataSource.class).hasBean(PghaHealthAutoConfiguration.BEAN);
            assertThat(context.getBean(PghaPoolDataSource.class).getPoolName()).isEqualTo("own");
        });
    }

    @Test
    void backsOffForAnotherUrl() {
        runner.withPropertyValues("spring.datasource.url=jdbc:postgresql://127.0.0.1:1/ehr").run(context -> {
            assertThat(context).hasSingleBean(DataSource.class).doesNotHaveBean(PghaPoolDataSource.class)
                    .doesNotHaveBean(PghaHealthAutoConfiguration.BEAN);
            assertThat(context.getBean(DataSource.class)).isInstanceOf(HikariDataSource.class);
        });
    }

    @Test
    void backsOffWithoutAUrlAndWithoutPghaOnTheClassPath() {
        ApplicationContextRunner pghaOnly = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(PghaAutoConfiguration.class, PghaHealthAutoConfiguration.class));
        pghaOnly.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(DataSource.class));
        pghaOnly.withPropertyValues(PGHA_URL).withClassLoader(new FilteredClassLoader(PghaPoolDataSource.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(DataSource.class)
                        .doesNotHaveBean(PghaHealthAutoConfiguration.BEAN));
    }

    @Test
    void aBadValueStopsStartUpWithAFailureAnalysisNamingThePropertyAndTheValue() {
        assertThat(analysis("pgha.max-replica-lag=soon").getDescription())
                .contains("'pgha.max-replica-lag'", "'soon'", "not a duration");
        assertThat(analysis("pgha.failure-threshold=0").getDescription())
                .contains("'pgha.failure-threshold'", "'0'", "a whole number from 1");
        assertThat(analysis("pgha.read-fallback=replica").getDescription())
                .contains("'pgha.read-fallback'", "'replica'", "primary", "fail");
        FailureAnalysis unknown = analysis("pgha.max-replca-lag=2s");
        assertThat(unknown.getDescription()).contains("'pgha.max-replca-lag'", "no such property", "pgha.max-replica-lag");
        assertThat(unknown.getAction()).contains("pgha.max-replca-lag", "docs/spring-boot.md");
    }

    @Test
    void theValueOfAnUnknownOrSecretPropertyIsNeverShown() {
        FailureAnalysis unknown = analysis("pgha.passwrd=Canary9xQ2");
        assertThat(unknown.getDescription()).contains("'pgha.passwrd'", "no such property", "not shown")
                .doesNotContain("Canary9xQ2");
        assertThat(unknown.getCause().getMessage()).doesNotContain("Canary9xQ2");
        FailureAnalysis secret = analysis("pgha.monitor-password=");
        assertThat(secret.getDescription()).contains("'pgha.monitor-password'", "not shown");
    }

    private FailureAnalysis analysis(String setting) {
        FailureAnalysis[] found = new FailureAnalysis[1];
        runner.withPropertyValues(PGHA_URL, setting).run(context -> {
            assertThat(context).hasFailed();
            found[0] = new PghaFailureAnalyzer().analyze(context.getStartupFailure());
        });
        assertThat(found[0]).as("an analysis of " + setting).isNotNull();
        return found[0];
    }

    @Test
    void theFailureAnalyzerIsRegisteredWithSpringBoot() throws IOException {
        List<String> registered = new ArrayList<>();
        for (URL file : Collections.list(getClass().getClassLoader().getResources(SpringFactoriesLoader.FACTORIES_RESOURCE_LOCATION))) {
            Properties factories = PropertiesLoaderUtils.loadProperties(new UrlResource(file));
            registered.addAll(List.of(factories.getProperty(FailureAnalyzer.class.getName(), "").split("\\s*,\\s*")));
        }
        assertThat(registered).contains(PghaFailureAnalyzer.class.getName());
    }

    @Test
    void healthIsDownWithTheReasonAndEveryNodeWhenNoNodeAnswers() {
        runner.withPropertyValues(PGHA_URL, "pgha.probe-interval=100ms", "pgha.probe-timeout=200ms").run(context -> {
            Boot.HealthReading health = Boot.health(context.getBean(PghaHealthAutoConfiguration.BEAN));
            assertThat(health.status()).isEqualTo("DOWN");
            assertThat(health.details()).containsEntry("writes", "NO_PRIMARY").containsKey("reason");
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> nodes = (Map<String, Map<String, Object>>) health.details().get("nodes");
            assertThat(nodes).containsOnlyKeys("127.0.0.1:1", "127.0.0.1:2");
            assertThat(nodes.get("127.0.0.1:1")).containsEntry("state", "down").containsKey("error");
        });
    }

    @Test
    void theHealthIndicatorCanBeTurnedOff() {
        runner.withPropertyValues(PGHA_URL, "management.health.pgha.enabled=false")
                .run(context -> assertThat(context).hasSingleBean(PghaPoolDataSource.class)
                        .doesNotHaveBean(PghaHealthAutoConfiguration.BEAN));
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnDataSource {
        final HikariDataSource own = new HikariDataSource();

        @Bean
        DataSource dataSource() {
            return own;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnPghaDataSource {
        @Bean
        PghaPoolDataSource dataSource() {
            PghaPoolDataSource ds = new PghaPoolDataSource();
            ds.setJdbcUrl("jdbc:pgha://127.0.0.1:1/own");
            ds.setPoolName("own");
            return ds;
        }
    }
}
