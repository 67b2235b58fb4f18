/**
 * The EHR sample application and the failover demo.
 *
 * <p>Placeholder until its issue is taken up: this module builds but holds no code yet.
 */
package org.pgha.samples;
