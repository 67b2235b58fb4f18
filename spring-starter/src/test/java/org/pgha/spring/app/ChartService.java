package org.pgha.spring.app;

import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Registrations in read-write transactions, chart reads in read-only ones. Each method also
 * says where it ran: {@code inet_server_port()} and {@code pg_is_in_recovery()} are asked of the
 * server inside the same transaction.
 */
@Service
public class ChartService {

    /** Where a transaction ran, as the server reported it. */
    public record Ran(int port, boolean onStandby) {
    }

    private final PatientRepository patients;
    private final JdbcTemplate jdbc;

    @PersistenceContext
    private EntityManager entityManager;

    public ChartService(PatientRepository patients, JdbcTemplate jdbc) {
        this.patients = patients;
        this.jdbc = jdbc;
    }

    /**
     * Registers two patients in one transaction (JPA), the second after reading the first back.
     * It reads nothing that depends on the node, so a replay on a new primary finds the same
     * results and the transaction goes on.
     */
    @Transactional
    public void registerTwo(long firstLedgerId, long secondLedgerId, String name) {
        Patient first = patients.saveAndFlush(new Patient(firstLedgerId, name));
        patients.findById(first.getId()).orElseThrow();
        patients.saveAndFlush(new Patient(secondLedgerId, name));
    }

    /** Registers a patient (JPA) and says where: only for routing checks, since no replay elsewhere can match it. */
    @Transactional
    public Ran registerAndSayWhere(long ledgerId, String name) {
        patients.saveAndFlush(new Patient(ledgerId, name));
        return whereJdbc();
    }

    /** A chart read with JPA. */
    @Transactional(readOnly = true)
    public long countByName(String name) {
        return patients.countByName(name);
    }

    @Transactional(readOnly = true)
    public Ran readWithJdbcTemplate() {
        return whereJdbc();
    }

    @Transactional(readOnly = true)
    public Ran readWithJpa() {
        Object[] row = (Object[]) entityManager
                .createNativeQuery("SELECT inet_server_port(), pg_is_in_recovery()").getSingleResult();
        return new Ran(((Number) row[0]).intValue(), (Boolean) row[1]);
    }

    @Transactional
    public Ran writeWithJdbcTemplate(long ledgerId, String name) {
        jdbc.update("INSERT INTO patient (id, ledger_id, name) VALUES (?, ?, ?)", UUID.randomUUID(), ledgerId, name);
        return whereJdbc();
    }

    private Ran whereJdbc() {
        return jdbc.queryForObject("SELECT inet_server_port(), pg_is_in_recovery()",
                (rs, n) -> new Ran(rs.getInt(1), rs.getBoolean(2)));
    }
}
