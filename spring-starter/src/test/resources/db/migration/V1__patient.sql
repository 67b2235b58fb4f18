-- Keys are assigned by the application (UUIDs), so that a transaction lost in a failover can
-- be replayed: a key drawn from a sequence would differ on the new primary. No unique
-- constraint on ledger_id: the test's ledger must be able to see a doubled write.
CREATE TABLE patient (
    id         uuid   PRIMARY KEY,
    ledger_id  bigint NOT NULL,
    name       text   NOT NULL
);
