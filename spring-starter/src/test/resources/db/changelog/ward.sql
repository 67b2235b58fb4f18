--liquibase formatted sql

--changeset pgha:1
CREATE TABLE ward (
    id   uuid PRIMARY KEY,
    name text NOT NULL
);
