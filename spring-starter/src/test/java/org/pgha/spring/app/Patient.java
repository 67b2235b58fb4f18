package org.pgha.spring.app;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import java.util.UUID;

/** A patient. Its key is assigned here, not drawn from a sequence: see V1__patient.sql. */
@Entity
public class Patient {

    @Id
    private UUID id;

    @Column(name = "ledger_id", nullable = false)
    private long ledgerId;

    @Column(nullable = false)
    private String name;

    protected Patient() {
    }

    public Patient(long ledgerId, String name) {
        this.id = UUID.randomUUID();
        this.ledgerId = ledgerId;
        this.name = name;
    }

    public UUID getId() {
        return id;
    }

    public long getLedgerId() {
        return ledgerId;
    }

    public String getName() {
        return name;
    }
}
