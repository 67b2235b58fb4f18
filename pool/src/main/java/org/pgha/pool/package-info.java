/**
 * {@code PghaPoolDataSource}: one HikariCP pool per node behind the driver's router.
 *
 * <p>Placeholder until its issue is taken up: this module builds but holds no code yet.
 */
package org.pgha.pool;
