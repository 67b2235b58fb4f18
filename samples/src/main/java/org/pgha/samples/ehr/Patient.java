package org.pgha.samples.ehr;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Version;
import java.time.Instant;
import java.time.LocalDate;
import java.util.UUID;

@Entity
public class Patient {

    @Id
    private UUID id;

    /** Optimistic locking; also tells Spring Data that an entity with an id of its own is new. */
    @Version
    private Long version;

    @Column(nullable = false, unique = true)
    private String mrn;

    @Column(name = "family_name", nullable = false)
    private String familyName;

    @Column(name = "given_name", nullable = false)
    private String givenName;

    @Column(name = "birth_date", nullable = false)
    private LocalDate birthDate;

    @Column(name = "registered_at", nullable = false)
    private Instant registeredAt;

    protected Patient() {
    }

    Patient(String mrn, String familyName, String givenName, LocalDate birthDate, Instant registeredAt) {
        this.id = UUID.randomUUID();
        this.mrn = mrn;
        this.familyName = familyName;
        this.givenName = givenName;
        this.birthDate = birthDate;
        this.registeredAt = registeredAt;
    }

    public UUID getId() {
        return id;
    }

    public String getMrn() {
        return mrn;
    }

    public String getFamilyName() {
        return familyName;
    }

    public String getGivenName() {
        return givenName;
    }

    public LocalDate getBirthDate() {
        return birthDate;
    }

    public Instant getRegisteredAt() {
        return registeredAt;
    }
}
