package org.pgha.driver.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SessionCommandTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "SET search_path TO clinic, public | SET | search_path",
            "  set statement_timeout = '5s' | SET | statement_timeout",
            "SET SESSION statement_timeout = 5 | SET | statement_timeout",
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY | NONE |",
            "SET LOCAL statement_timeout = 5 | NONE |",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE | NONE |",
            "SET CONSTRAINTS ALL DEFERRED | NONE |",
            "SET ROLE clerk | SET | role",
            "set role none | SET | role",
            "SET SESSION AUTHORIZATION 'nurse' | SET | session_authorization",
            "SET TIME ZONE 'UTC' | SET | timezone",
            "SET SCHEMA 'clinic' | SET | search_path",
            "SET NAMES 'UTF8' | SET | client_encoding",
            "SET myapp.user_id = 7 | SET | myapp.user_id",
            "SET myapp.tenant = 7 | SET | myapp.tenant",
            "RESET search_path | RESET | search_path",
            "RESET ROLE | RESET | role",
            "RESET SESSION AUTHORIZATION | RESET | session_authorization",
            "RESET ALL | RESET_ALL |",
            "discard all | DISCARD_ALL |",
            "DISCARD PLANS | NONE |",
            "SELECT 1 | NONE |",
            "SELECT patient_id, ward_id FROM admission WHERE ward_id = ? | NONE |",
            "settle | NONE |",
            "SET | NONE |",
            "select set_config('role', 'clerk', false) | UNTRACKED |",
            "SELECT SET_CONFIG('a.b', 'c', false) | UNTRACKED |",
            "SELECT pg_advisory_lock(42) | UNTRACKED |",
            "SELECT pg_try_advisory_lock_shared(42) | UNTRACKED |",
            "SELECT pg_advisory_xact_lock(42) | NONE |",
            "SELECT pg_advisory_unlock(42) | NONE |",
            "LISTEN lab_results | UNTRACKED |",
            "CREATE TEMP TABLE t (x int) | UNTRACKED |",
            "create temporary table t (x int) | UNTRACKED |",
            "CREATE LOCAL TEMPORARY TABLE t (x int) | UNTRACKED |",
            "CREATE TABLE pg_temp.t (x int) | UNTRACKED |",
            "CREATE OR REPLACE TEMP VIEW v AS SELECT 1 | UNTRACKED |",
            "CREATE TABLE t (x int) | NONE |",
            "DECLARE c CURSOR WITH HOLD FOR SELECT 1 | UNTRACKED |",
            "PREPARE q AS SELECT 1 | PREPARE |",
            "PREPARE TRANSACTION 'x' | NONE |"
    })
    void recognisesSessionCommands(String sql, SessionCommand.Kind expected, String parameter) {
        SessionCommand command = SessionCommand.of(sql);
        assertThat(command.kind()).isEqualTo(expected);
        assertThat(command.parameter()).isEqualTo(parameter);
    }

    @Test
    void theLastSetOfAParameterIsKeptInTheOrderLastSet() {
        SessionState state = new SessionState();
        for (int i = 0; i < 1000; i++) {
            state.observed(SessionCommand.of("SET myapp.user_id = " + i), false);
        }
        state.observed(SessionCommand.of("SET search_path TO clinic"), false);
        state.observed(SessionCommand.of("SET myapp.user_id = 1000"), false);
        assertThat(state.commands()).containsExactly("SET search_path TO clinic", "SET myapp.user_id = 1000");
        state.observed(SessionCommand.of("RESET search_path"), false);
        assertThat(state.commands()).containsExactly("SET myapp.user_id = 1000");
    }

    @Test
    void resetAllKeepsTheRoleAndSessionAuthorizationResetsTheRole() {
        SessionState state = new SessionState();
        state.observed(SessionCommand.of("SET ROLE clerk"), false);
        state.observed(SessionCommand.of("SET work_mem = '8MB'"), false);
        state.observed(SessionCommand.of("RESET ALL"), false);
        assertThat(state.commands()).containsExactly("SET ROLE clerk");
        state.observed(SessionCommand.of("SET SESSION AUTHORIZATION nurse"), false);
        assertThat(state.commands()).containsExactly("SET SESSION AUTHORIZATION nurse");
        state.observed(SessionCommand.of("SET ROLE clerk"), false);
        state.observed(SessionCommand.of("RESET SESSION AUTHORIZATION"), false);
        assertThat(state.commands()).isEmpty();
        state.observed(SessionCommand.of("SET ROLE clerk"), false);
        state.observed(SessionCommand.of("DISCARD ALL"), false);
        assertThat(state.commands()).isEmpty();
        assertThat(state.changed()).isTrue();
    }

    @Test
    void aTransactionsCommandsCountOnlyIfItCommits() {
        SessionState state = new SessionState();
        state.observed(SessionCommand.of("SET ROLE clerk"), true);
        assertThat(state.commands()).isEmpty();
        state.transactionEnded(false);
        assertThat(state.commands()).isEmpty();
        assertThat(state.changed()).as("a rolled-back SET still asks for a reset").isTrue();
        state.observed(SessionCommand.of("SET ROLE clerk"), true);
        state.transactionEnded(true);
        assertThat(state.commands()).containsExactly("SET ROLE clerk");
    }

    @Test
    void untrackedStateAsksForAResetAndPrepareForAClose() {
        SessionState state = new SessionState();
        assertThat(state.changed()).isFalse();
        state.observed(SessionCommand.of("SELECT pg_advisory_lock(1)"), false);
        assertThat(state.changed()).isTrue();
        assertThat(state.commands()).isEmpty();
        assertThat(state.prepared()).isFalse();
        state.observed(SessionCommand.of("PREPARE q AS SELECT 1"), false);
        assertThat(state.prepared()).isTrue();
        state.bound();
        assertThat(List.of(state.changed(), state.prepared())).containsExactly(false, false);
    }
}
