/**
 * pgha's samples: {@code ehr}, a small electronic-health-record application with Spring Boot
 * and pgha's starter; {@code jdbc}, the driver and the pool without Spring; {@code demo}, the
 * failover demo that runs the EHR sample on a local cluster through two failovers.
 */
package org.pgha.samples;
