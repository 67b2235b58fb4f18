/**
 * Spring Boot auto-configuration for pgha: with {@code spring.datasource.url=jdbc:pgha://...}
 * the application's DataSource is a {@link org.pgha.pool.PghaPoolDataSource}, configured from
 * {@code spring.datasource.*}, {@code spring.datasource.hikari.*} and {@code pgha.*}, with a
 * {@code pgha} health indicator and pgha's meters in the application's Micrometer registry.
 * See docs/spring-boot.md.
 */
package org.pgha.spring;
