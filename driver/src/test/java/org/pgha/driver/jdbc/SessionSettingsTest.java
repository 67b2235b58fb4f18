package org.pgha.driver.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.pgha.driver.fakes.FakeConnection;

/** {@link SessionSettings} on a fake physical connection: what is applied to a new one, and what is reset before reuse. */
class SessionSettingsTest {

    @Test
    void onlyWhatDiffersIsSetOnANewConnection() throws SQLException {
        SessionSettings settings = new SessionSettings(false);
        FakeConnection c = new FakeConnection("c");

        settings.applyTo(c.connection(), true, false);
        assertThat(c.calls()).containsExactly("getAutoCommit()", "isReadOnly()");

        settings.isolation = Connection.TRANSACTION_SERIALIZABLE;
        settings.schema = "lab";
        settings.applyTo(c.connection(), false, true);
        assertThat(c.calls()).containsSubsequence("setAutoCommit(false)", "setReadOnly(true)",
                "setTransactionIsolation(8)", "setSchema(lab)");
        assertThat(c.executed()).isEmpty();
    }

    @Test
    void sessionCommandsRunAgainOnANewConnectionAndAreCommittedOutsideAutocommit() throws SQLException {
        SessionSettings settings = new SessionSettings(false);
        settings.observed("SET search_path TO lab, public", false);
        settings.observed("SELECT 1", false);
        FakeConnection c = new FakeConnection("c");

        settings.applyTo(c.connection(), false, false);

        assertThat(c.executed()).containsExactly("SET search_path TO lab, public");
        assertThat(c.calls()).endsWith("commit()");
    }

    @Test
    void aSetInATransactionThatRolledBackIsNotRunAgain() throws SQLException {
        SessionSettings settings = new SessionSettings(false);
        settings.observed("SET search_path TO lab", true);
        settings.transactionEnded(false);
        settings.observed("SET statement_timeout = '5s'", true);
        settings.transactionEnded(true);
        FakeConnection c = new FakeConnection("c");

        settings.applyTo(c.connection(), true, false);

        assertThat(c.executed()).containsExactly("SET statement_timeout = '5s'");
    }

    @Test
    void anUnchangedSessionGoesBackAsItIs() {
        SessionSettings settings = new SessionSettings(false);
        FakeConnection c = new FakeConnection("c");

        assertThat(settings.resetForReuse(c.connection())).isTrue();
        assertThat(c.calls()).isEmpty();
    }

    @Test
    void aChangedSessionIsResetBeforeItGoesBack() {
        SessionSettings settings = new SessionSettings(false);
        settings.observed("SET ROLE auditor", false);
        FakeConnection c = new FakeConnection("c");

        assertThat(settings.resetForReuse(c.connection())).isTrue();
        assertThat(c.executed()).containsExactly(SessionState.RESET);
        assertThat(SessionState.RESET).contains("SET SESSION AUTHORIZATION DEFAULT", "RESET ALL");
    }

    @Test
    void clientInfoOrSessionResetAlwaysResetsToo() {
        SessionSettings changedInfo = new SessionSettings(false);
        changedInfo.clientInfo("ApplicationName", "ward-7");
        FakeConnection a = new FakeConnection("a");
        assertThat(changedInfo.resetForReuse(a.connection())).isTrue();
        assertThat(a.executed()).containsExactly(SessionState.RESET);

        FakeConnection b = new FakeConnection("b");
        assertThat(new SessionSettings(true).resetForReuse(b.connection())).isTrue();
        assertThat(b.executed()).containsExactly(SessionState.RESET);
    }

    @Test
    void aResetThatFailsOrAPreparedStatementForbidsReuse() {
        SessionSettings settings = new SessionSettings(false);
        settings.observed("SET work_mem = '64MB'", false);
        FakeConnection broken = new FakeConnection("broken")
                .failing("execute", new SQLException("terminating connection", "57P01"));
        assertThat(settings.resetForReuse(broken.connection())).isFalse();

        SessionSettings prepared = new SessionSettings(false);
        prepared.observed("PREPARE lookup AS SELECT 1", false);
        FakeConnection c = new FakeConnection("c");
        assertThat(prepared.resetForReuse(c.connection())).isFalse();
        assertThat(c.calls()).as("nothing is tried: the connection is closed instead").isEmpty();
    }

    @Test
    void aNewBindingForgetsThePreparedStatementButNotTheSettingsItRunsAgain() {
        SessionSettings prepared = new SessionSettings(false);
        prepared.observed("PREPARE lookup AS SELECT 1", false);
        prepared.bound();
        FakeConnection fresh = new FakeConnection("fresh");
        assertThat(prepared.resetForReuse(fresh.connection())).isTrue();
        assertThat(fresh.calls()).as("nothing changed the new connection's session").isEmpty();

        SessionSettings role = new SessionSettings(false);
        role.observed("SET ROLE auditor", false);
        role.bound();
        FakeConnection next = new FakeConnection("next");
        assertThat(role.resetForReuse(next.connection())).isTrue();
        assertThat(next.executed()).as("the role is set on every connection bound, so reset on each")
                .containsExactly(SessionState.RESET);
    }
}
