/**
 * {@link org.pgha.pool.PghaPoolDataSource}: pgha's routing, failover and replay over one
 * HikariCP pool per node.
 */
package org.pgha.pool;
