package org.pgha.samples.ehr;

import java.util.UUID;

public class PatientNotFoundException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PatientNotFoundException(UUID id) {
        super("No patient " + id);
    }
}
