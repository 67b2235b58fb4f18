package org.pgha.samples.ehr;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.UUID;

/** A visit or a stay: lab results posted while it is open belong to it. */
@Entity
public class Encounter {

    public enum Kind { OUTPATIENT, INPATIENT, EMERGENCY }

    @Id
    private UUID id;

    /** Optimistic locking; also tells Spring Data that an entity with an id of its own is new. */
    @Version
    private Long version;

    @Column(name = "patient_id", nullable = false)
    private UUID patientId;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private Kind kind;

    @Column(name = "started_at", nullable = false)
    private Instant startedAt;

    @Column(name = "ended_at")
    private Instant endedAt;

    protected Encounter() {
    }

    Encounter(UUID patientId, Kind kind, Instant startedAt) {
        this.id = UUID.randomUUID();
        this.patientId = patientId;
        this.kind = kind;
        this.startedAt = startedAt;
    }

    public UUID getId() {
        return id;
    }

    public UUID getPatientId() {
        return patientId;
    }

    public Kind getKind() {
        return kind;
    }

    public Instant getStartedAt() {
        return startedAt;
    }

    public Instant getEndedAt() {
        return endedAt;
    }

    public boolean isOpen() {
        return endedAt == null;
    }
}
