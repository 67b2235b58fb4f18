package org.pgha.driver.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SessionCommandTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "SET search_path TO clinic, public | SET",
            "  set statement_timeout = '5s' | SET",
            "SET SESSION statement_timeout = 5 | SET",
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY | NONE",
            "SET LOCAL statement_timeout = 5 | NONE",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE | NONE",
            "SET CONSTRAINTS ALL DEFERRED | NONE",
            "RESET search_path | SET",
            "RESET ALL | RESET_ALL",
            "discard all | RESET_ALL",
            "DISCARD PLANS | NONE",
            "SELECT 1 | NONE",
            "settle | NONE",
            "SET | NONE",
            "select set_config('a.b', 'c', false) | NONE"
    })
    void recognisesSessionCommands(String sql, SessionCommand expected) {
        assertThat(SessionCommand.of(sql)).isEqualTo(expected);
    }
}
