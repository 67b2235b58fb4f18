package org.pgha.samples.ehr;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Files results from the laboratory system: read-write transactions, on the primary. */
@Service
public class LabService {

    public record NewLabResult(long accessionNumber, String testCode, BigDecimal value, String unit) {

        public NewLabResult {
            if (testCode == null || value == null || unit == null) {
                throw new IllegalArgumentException("testCode, value and unit are required");
            }
        }
    }

    private final PatientRepository patients;
    private final EncounterRepository encounters;
    private final LabResultRepository results;

    public LabService(PatientRepository patients, EncounterRepository encounters, LabResultRepository results) {
        this.patients = patients;
        this.encounters = encounters;
        this.results = results;
    }

    @Transactional
    public LabResult post(UUID patientId, NewLabResult result) {
        if (!patients.existsById(patientId)) {
            throw new PatientNotFoundException(patientId);
        }
        UUID encounterId = encounters.findFirstByPatientIdAndEndedAtIsNullOrderByStartedAtDesc(patientId)
                .map(Encounter::getId).orElse(null);
        return results.save(new LabResult(patientId, encounterId, result.accessionNumber(), result.testCode(),
                result.value(), result.unit(), Instant.now()));
    }
}
