package org.pgha.spring;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import javax.sql.DataSource;
import org.pgha.pool.PghaPoolDataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The application's DataSource as a {@link PghaPoolDataSource} when
 * {@code spring.datasource.url} starts with {@code jdbc:pgha:}.
 *
 * <p>It is configured as Spring Boot configures HikariCP: the URL, user and password from
 * {@code spring.datasource.*}, HikariCP's settings from {@code spring.datasource.hikari.*}
 * (applied to each node's pool), then pgha's from {@code pgha.*} (which win over the same
 * parameter in the URL), then every {@link PghaPoolDataSourceCustomizer}. It runs before
 * Spring Boot's own DataSource auto-configuration, which then backs off. It backs off itself
 * when the application defines a DataSource, or when the URL is not a pgha one.
 */
@AutoConfiguration(beforeName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration", // Spring Boot 4
        "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration"}) // Spring Boot 3
@ConditionalOnClass(PghaPoolDataSource.class)
@ConditionalOnMissingBean(DataSource.class)
@Conditional(PghaAutoConfiguration.OnPghaUrl.class)
public class PghaAutoConfiguration {

    static final String URL_PREFIX = "jdbc:pgha:";

    @Bean
    PghaPoolDataSource dataSource(Environment environment, ObjectProvider<PghaPoolDataSourceCustomizer> customizers) {
        Binder binder = Binder.get(environment);
        PghaPoolDataSource dataSource = new PghaPoolDataSource();
        String url = url(binder);
        dataSource.setJdbcUrl(url);
        binder.bind("spring.datasource.username", String.class).ifBound(dataSource::setUsername);
        binder.bind("spring.datasource.password", String.class).ifBound(dataSource::setPassword);
        binder.bind("spring.datasource.name", String.class).ifBound(dataSource::setPoolName);
        binder.bind("spring.datasource.hikari", Bindable.ofInstance(dataSource));
        for (Map.Entry<String, String> setting : PghaSettings.from(environment, url).entrySet()) {
            dataSource.addDataSourceProperty(setting.getKey(), setting.getValue());
        }
        customizers.orderedStream().forEach(customizer -> customizer.customize(dataSource));
        return dataSource;
    }

    /** The URL: {@code spring.datasource.url}, else {@code spring.datasource.hikari.jdbc-url}, as in Spring Boot. */
    static String url(Binder binder) {
        return binder.bind("spring.datasource.url", String.class)
                .orElseGet(() -> binder.bind("spring.datasource.hikari.jdbc-url", String.class).orElse(null));
    }

    /** pgha's and HikariCP's meters in the application's registry, when it has Micrometer. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    static class Metrics {

        @Bean
        @Order(0)
        PghaPoolDataSourceCustomizer pghaMeterRegistry(ObjectProvider<MeterRegistry> registry) {
            return dataSource -> {
                MeterRegistry available = registry.getIfAvailable();
                if (available != null && dataSource.getMetricRegistry() == null) {
                    dataSource.setMetricRegistry(available);
                }
            };
        }
    }

    /** Matches when the DataSource URL is a pgha one. */
    static final class OnPghaUrl extends SpringBootCondition {

        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            String url = url(Binder.get(context.getEnvironment()));
            if (url == null) {
                return ConditionOutcome.noMatch("no spring.datasource.url");
            }
            return url.startsWith(URL_PREFIX)
                    ? ConditionOutcome.match("spring.datasource.url starts with " + URL_PREFIX)
                    : ConditionOutcome.noMatch("spring.datasource.url does not start with " + URL_PREFIX);
        }
    }
}
