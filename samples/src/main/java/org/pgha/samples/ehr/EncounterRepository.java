package org.pgha.samples.ehr;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

public interface EncounterRepository extends JpaRepository<Encounter, UUID> {

    List<Encounter> findByPatientIdOrderByStartedAtDesc(UUID patientId);

    Optional<Encounter> findFirstByPatientIdAndEndedAtIsNullOrderByStartedAtDesc(UUID patientId);
}
