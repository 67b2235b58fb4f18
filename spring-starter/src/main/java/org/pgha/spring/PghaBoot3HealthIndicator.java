package org.pgha.spring;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/** The {@code pgha} health indicator for Spring Boot 3; see {@link PghaHealth}. */
public class PghaBoot3HealthIndicator implements HealthIndicator {

    private final PghaHealth health;

    PghaBoot3HealthIndicator(PghaHealth health) {
        this.health = health;
    }

    @Override
    public Health health() {
        PghaHealth.Result result = health.check();
        return (result.up() ? Health.up() : Health.down()).withDetails(result.details()).build();
    }
}
