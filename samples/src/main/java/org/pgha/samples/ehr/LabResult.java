package org.pgha.samples.ehr;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Version;
import jakarta.persistence.Table;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

@Entity
@Table(name = "lab_result")
public class LabResult {

    @Id
    private UUID id;

    /** Optimistic locking; also tells Spring Data that an entity with an id of its own is new. */
    @Version
    private Long version;

    @Column(name = "patient_id", nullable = false)
    private UUID patientId;

    @Column(name = "encounter_id")
    private UUID encounterId;

    @Column(name = "accession_number", nullable = false)
    private long accessionNumber;

    @Column(name = "test_code", nullable = false)
    private String testCode;

    @Column(nullable = false)
    private BigDecimal value;

    @Column(nullable = false)
    private String unit;

    @Column(name = "resulted_at", nullable = false)
    private Instant resultedAt;

    protected LabResult() {
    }

    LabResult(UUID patientId, UUID encounterId, long accessionNumber, String testCode, BigDecimal value, String unit,
              Instant resultedAt) {
        this.id = UUID.randomUUID();
        this.patientId = patientId;
        this.encounterId = encounterId;
        this.accessionNumber = accessionNumber;
        this.testCode = testCode;
        this.value = value;
        this.unit = unit;
        this.resultedAt = resultedAt;
    }

    public UUID getId() {
        return id;
    }

    public UUID getPatientId() {
        return patientId;
    }

    public UUID getEncounterId() {
        return encounterId;
    }

    public long getAccessionNumber() {
        return accessionNumber;
    }

    public String getTestCode() {
        return testCode;
    }

    public BigDecimal getValue() {
        return value;
    }

    public String getUnit() {
        return unit;
    }

    public Instant getResultedAt() {
        return resultedAt;
    }
}
