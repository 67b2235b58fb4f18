package org.pgha.spring;

import org.pgha.pool.PghaPoolDataSource;

/**
 * Changes the auto-configured {@link PghaPoolDataSource} after the Spring properties were
 * applied and before its first connection: to add a
 * {@link org.pgha.driver.ClusterEventListener} or a {@link org.pgha.driver.PghaExceptionOverride},
 * for example. Every bean of this type is applied, in {@code @Order}.
 */
@FunctionalInterface
public interface PghaPoolDataSourceCustomizer {

    void customize(PghaPoolDataSource dataSource);
}
