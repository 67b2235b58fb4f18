/**
 * The {@code jdbc:pgha:} driver: {@link org.pgha.driver.PghaDriver} for
 * {@code DriverManager}, {@link org.pgha.driver.PghaDataSource}, and
 * {@link org.pgha.driver.PghaConnection} for what pgha adds to a JDBC connection.
 * Its sub-packages ({@code config}, {@code topology}, {@code routing}, {@code failover}, {@code jdbc}, {@code metrics}) are pgha's internals and may change without notice.
 */
package org.pgha.driver;
