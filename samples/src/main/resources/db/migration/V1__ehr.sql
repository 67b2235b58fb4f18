-- Keys are UUIDs made by the application, not drawn from sequences: a transaction that loses
-- its primary is replayed on the new one with the same keys (a sequence would give others,
-- and the replay would have to be rolled back).

CREATE TABLE patient (
    id            uuid        PRIMARY KEY,
    version       bigint      NOT NULL,
    mrn           text        NOT NULL UNIQUE,  -- medical record number
    family_name   text        NOT NULL,
    given_name    text        NOT NULL,
    birth_date    date        NOT NULL,
    registered_at timestamptz NOT NULL
);

CREATE TABLE encounter (
    id         uuid        PRIMARY KEY,
    version    bigint      NOT NULL,
    patient_id uuid        NOT NULL REFERENCES patient (id),
    kind       text        NOT NULL CHECK (kind IN ('OUTPATIENT', 'INPATIENT', 'EMERGENCY')),
    started_at timestamptz NOT NULL,
    ended_at   timestamptz
);
CREATE INDEX encounter_patient ON encounter (patient_id);

-- A lab result. The accession number comes from the laboratory system; a corrected result is
-- sent again under the same accession number, so it is not unique here.
CREATE TABLE lab_result (
    id               uuid          PRIMARY KEY,
    version          bigint        NOT NULL,
    patient_id       uuid          NOT NULL REFERENCES patient (id),
    encounter_id     uuid          REFERENCES encounter (id),
    accession_number bigint        NOT NULL,
    test_code        text          NOT NULL,  -- LOINC
    value            numeric(12,3) NOT NULL,
    unit             text          NOT NULL,
    resulted_at      timestamptz   NOT NULL
);
CREATE INDEX lab_result_patient ON lab_result (patient_id, resulted_at);
CREATE INDEX lab_result_accession ON lab_result (accession_number);
