package org.pgha.spring;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/** The {@code pgha} health indicator for Spring Boot 4; see {@link PghaHealth}. */
public class PghaHealthIndicator implements HealthIndicator {

    private final PghaHealth health;

    PghaHealthIndicator(PghaHealth health) {
        this.health = health;
    }

    @Override
    public Health health() {
        PghaHealth.Result result = health.check();
        return (result.up() ? Health.up() : Health.down()).withDetails(result.details()).build();
    }
}
