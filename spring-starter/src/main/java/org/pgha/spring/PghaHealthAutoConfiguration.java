package org.pgha.spring;

import org.pgha.pool.PghaPoolDataSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@code pgha} health indicator (bean {@code pghaHealthIndicator}) for the application's
 * {@link PghaPoolDataSource}, whether auto-configured or the application's own, with Spring
 * Boot 4's health API or Spring Boot 3's, whichever the application has. Turned off with
 * {@code management.health.pgha.enabled=false}.
 */
@AutoConfiguration(after = PghaAutoConfiguration.class)
@ConditionalOnClass(PghaPoolDataSource.class)
@ConditionalOnSingleCandidate(PghaPoolDataSource.class)
@ConditionalOnProperty(prefix = "management.health.pgha", name = "enabled", matchIfMissing = true)
public class PghaHealthAutoConfiguration {

    static final String BEAN = "pghaHealthIndicator";

    /** Spring Boot 4. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class Boot4 {

        @Bean(BEAN)
        @ConditionalOnMissingBean(name = BEAN)
        PghaHealthIndicator pghaHealthIndicator(PghaPoolDataSource dataSource) {
            return new PghaHealthIndicator(new PghaHealth(dataSource));
        }
    }

    /** Spring Boot 3. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
    @ConditionalOnMissingClass("org.springframework.boot.health.contributor.HealthIndicator")
    static class Boot3 {

        @Bean(BEAN)
        @ConditionalOnMissingBean(name = BEAN)
        PghaBoot3HealthIndicator pghaHealthIndicator(PghaPoolDataSource dataSource) {
            return new PghaBoot3HealthIndicator(new PghaHealth(dataSource));
        }
    }
}
