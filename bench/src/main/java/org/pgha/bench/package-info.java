/**
 * JMH and failover benchmarks against the peers.
 *
 * <p>Placeholder until its issue is taken up: this module builds but holds no code yet.
 */
package org.pgha.bench;
