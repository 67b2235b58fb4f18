package org.pgha.samples.ehr;

import java.util.List;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

public interface LabResultRepository extends JpaRepository<LabResult, UUID> {

    List<LabResult> findTop20ByPatientIdOrderByResultedAtDesc(UUID patientId);

    long countByPatientId(UUID patientId);
}
