/**
 * The {@code jdbc:pgha:} driver: topology, routing and failover.
 *
 * <p>Placeholder until its issue is taken up: this module builds but holds no code yet.
 */
package org.pgha.driver;
