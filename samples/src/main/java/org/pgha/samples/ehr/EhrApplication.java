package org.pgha.samples.ehr;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A small electronic-health-record service: patients, encounters and lab results over REST.
 * Nothing in it is about high availability: pgha's starter and
 * {@code spring.datasource.url=jdbc:pgha://...} are all it takes. Reads run in
 * {@code @Transactional(readOnly = true)} services and go to replicas; writes run in read-write
 * transactions on the primary.
 */
@SpringBootApplication
public class EhrApplication {

    public static void main(String[] args) {
        SpringApplication.run(EhrApplication.class, args);
    }
}
