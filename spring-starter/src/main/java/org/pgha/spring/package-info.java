/**
 * Spring Boot auto-configuration for pgha.
 *
 * <p>Placeholder until its issue is taken up: this module builds but holds no code yet.
 */
package org.pgha.spring;
