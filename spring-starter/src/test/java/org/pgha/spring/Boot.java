package org.pgha.spring;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What differs between Spring Boot 3 and 4 for these tests, found by name, so that the same
 * tests run against both (spring-starter-boot3 runs them against Spring Boot 3).
 */
final class Boot {

    private Boot() {
    }

    /** Spring Boot's own DataSource auto-configuration, whose package moved in Spring Boot 4. */
    static Class<?> dataSourceAutoConfiguration() {
        return firstPresent("org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
                "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration");
    }

    /** A health indicator's status code and details, through either version's Health. */
    record HealthReading(String status, Map<String, Object> details) {
    }

    @SuppressWarnings("unchecked")
    static HealthReading health(Object indicator) {
        try {
            Object health = indicator.getClass().getMethod("health").invoke(indicator);
            Object status = health.getClass().getMethod("getStatus").invoke(health);
            String code = (String) status.getClass().getMethod("getCode").invoke(status);
            Method details = health.getClass().getMethod("getDetails");
            return new HealthReading(code, (Map<String, Object>) details.invoke(health));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The status that Actuator's health endpoint reports for one contributor, through the
     * endpoint itself (so the indicator must be registered under that name).
     */
    static String endpointStatus(org.springframework.context.ApplicationContext context, String contributor) {
        Class<?> endpoint = firstPresent("org.springframework.boot.health.actuate.endpoint.HealthEndpoint",
                "org.springframework.boot.actuate.health.HealthEndpoint");
        try {
            Object bean = context.getBean(endpoint);
            Object health = endpoint.getMethod("healthForPath", String[].class).invoke(bean, (Object) new String[] {contributor});
            if (health == null) {
                return null;
            }
            Object status = health.getClass().getMethod("getStatus").invoke(health);
            return (String) status.getClass().getMethod("getCode").invoke(status);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Class<?> firstPresent(String... names) {
        return Stream.of(names).map(Boot::load).filter(c -> c != null).findFirst()
                .orElseThrow(() -> new IllegalStateException("none of " + String.join(", ", names) + " is present"));
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }
}
