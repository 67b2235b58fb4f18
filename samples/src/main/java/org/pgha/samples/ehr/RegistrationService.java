package org.pgha.samples.ehr;

import java.time.Instant;
import java.time.LocalDate;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Registers patients and opens encounters: read-write transactions, on the primary. */
@Service
public class RegistrationService {

    public record NewPatient(String mrn, String familyName, String givenName, LocalDate birthDate) {

        public NewPatient {
            if (mrn == null || mrn.isBlank() || familyName == null || givenName == null || birthDate == null) {
                throw new IllegalArgumentException("mrn, familyName, givenName and birthDate are required");
            }
        }
    }

    private final PatientRepository patients;
    private final EncounterRepository encounters;

    public RegistrationService(PatientRepository patients, EncounterRepository encounters) {
        this.patients = patients;
        this.encounters = encounters;
    }

    @Transactional
    public Patient register(NewPatient patient) {
        return patients.save(new Patient(patient.mrn(), patient.familyName(), patient.givenName(), patient.birthDate(),
                Instant.now()));
    }

    /** Opens an encounter for the patient; results posted while it is open are filed under it. */
    @Transactional
    public Encounter admit(UUID patientId, Encounter.Kind kind) {
        if (!patients.existsById(patientId)) {
            throw new PatientNotFoundException(patientId);
        }
        return encounters.save(new Encounter(patientId, kind, Instant.now()));
    }
}
