package org.pgha.samples.ehr;

import java.net.URI;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/patients")
public class PatientController {

    public record Admission(Encounter.Kind kind) {
    }

    private final RegistrationService registration;
    private final LabService lab;
    private final ChartService charts;

    public PatientController(RegistrationService registration, LabService lab, ChartService charts) {
        this.registration = registration;
        this.lab = lab;
        this.charts = charts;
    }

    @PostMapping
    public ResponseEntity<Patient> register(@RequestBody RegistrationService.NewPatient patient) {
        Patient registered = registration.register(patient);
        return ResponseEntity.created(URI.create("/api/patients/" + registered.getId())).body(registered);
    }

    @PostMapping("/{id}/encounters")
    public ResponseEntity<Encounter> admit(@PathVariable UUID id, @RequestBody Admission admission) {
        return ResponseEntity.status(201).body(registration.admit(id, admission.kind()));
    }

    @PostMapping("/{id}/lab-results")
    public ResponseEntity<LabResult> postLabResult(@PathVariable UUID id, @RequestBody LabService.NewLabResult result) {
        return ResponseEntity.status(201).body(lab.post(id, result));
    }

    @GetMapping("/{id}/chart")
    public ChartService.Chart chart(@PathVariable UUID id) {
        return charts.chart(id);
    }
}
