/**
 * The {@code jdbc:pgha:} driver: {@link org.pgha.driver.PghaDriver} for
 * {@code DriverManager}, {@link org.pgha.driver.PghaDataSource}, and
 * {@link org.pgha.driver.PghaConnection} for what pgha adds to a JDBC connection.
 * Everything in {@code org.pgha.driver.internal} may change without notice.
 */
package org.pgha.driver;
