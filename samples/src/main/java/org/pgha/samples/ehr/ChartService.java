package org.pgha.samples.ehr;

import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * A patient's chart: read-only transactions, served by a replica that holds every write
 * acknowledged more than {@code pgha.max-replica-lag} ago.
 */
@Service
@Transactional(readOnly = true)
public class ChartService {

    /** The chart: the patient, encounters newest first, the latest 20 lab results, and how many results there are. */
    public record Chart(Patient patient, List<Encounter> encounters, List<LabResult> latestResults, long resultCount) {
    }

    private final PatientRepository patients;
    private final EncounterRepository encounters;
    private final LabResultRepository results;

    public ChartService(PatientRepository patients, EncounterRepository encounters, LabResultRepository results) {
        this.patients = patients;
        this.encounters = encounters;
        this.results = results;
    }

    public Chart chart(UUID patientId) {
        Patient patient = patients.findById(patientId).orElseThrow(() -> new PatientNotFoundException(patientId));
        return new Chart(patient, encounters.findByPatientIdOrderByStartedAtDesc(patientId),
                results.findTop20ByPatientIdOrderByResultedAtDesc(patientId), results.countByPatientId(patientId));
    }
}
