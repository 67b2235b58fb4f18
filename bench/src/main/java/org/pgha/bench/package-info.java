/**
 * JMH benchmarks of pgha against plain pgjdbc, each on a local cluster of its own (see
 * docs/benchmarks.md for the commands and the latest results).
 */
package org.pgha.bench;
