package org.pgha.driver.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * The session state of one logical connection, applied to every physical connection it binds:
 * what was set through JDBC (isolation, holdability, catalog, schema, type map, client info,
 * network timeout; autocommit and read-only come from the failover path) and what SQL did to
 * the session ({@link SessionState}). Before a pooled physical connection goes back, what was
 * done to its session is undone.
 */
final class SessionSettings {

    /** {@code sessionReset=always}. */
    private final boolean resetAlways;

    Integer isolation;
    Integer holdability;
    String catalog;
    String schema;
    Map<String, Class<?>> typeMap;
    /** Client info set through this connection; null until some is (most connections never do). */
    Properties clientInfo;
    int networkTimeoutMillis = -1;
    Executor networkTimeoutExecutor;
    /** What SQL did to the session: {@code SET} commands to re-run on a new physical connection, what to reset. */
    final SessionState sql = new SessionState();

    SessionSettings(boolean resetAlways) {
        this.resetAlways = resetAlways;
    }

    /**
     * Applies the session state to a physical connection about to be bound. Sets only what
     * differs: a pool's proxy marks what is set, and resets it on return.
     */
    void applyTo(Connection c, boolean auto, boolean readOnly) throws SQLException {
        if (c.getAutoCommit() != auto) {
            c.setAutoCommit(auto);
        }
        if (c.isReadOnly() != readOnly) {
            c.setReadOnly(readOnly);
        }
        if (isolation != null) {
            c.setTransactionIsolation(isolation);
        }
        if (holdability != null) {
            c.setHoldability(holdability);
        }
        if (catalog != null) {
            c.setCatalog(catalog);
        }
        if (schema != null) {
            c.setSchema(schema);
        }
        if (typeMap != null) {
            c.setTypeMap(typeMap);
        }
        if (clientInfo != null) {
            c.setClientInfo(clientInfo);
        }
        if (networkTimeoutMillis >= 0) {
            c.setNetworkTimeout(networkTimeoutExecutor, networkTimeoutMillis);
        }
        if (sql.hasCommands()) {
            try (Statement s = c.createStatement()) {
                for (String command : sql.commands()) {
                    s.execute(command);
                }
            }
            if (!auto) {
                c.commit();
            }
        }
    }

    /** A new physical connection was bound: the record of what SQL did to the session starts afresh. */
    void bound() {
        sql.bound();
    }

    /**
     * What this connection did to the session is undone ({@link SessionState#RESET}: settings,
     * role and session authorization, {@code application_name} as at login, advisory locks,
     * listens, temporary tables, held cursors), so the next borrower gets the pool's session.
     * With {@code sessionReset=changed} only when SQL or client info changed the session; with
     * {@code always} every time.
     *
     * @return false if the connection must not be reused: a reset failed, or PREPARE ran on it
     */
    boolean resetForReuse(Connection c) {
        if (sql.prepared()) {
            return false;
        }
        if (!resetAlways && !sql.changed() && clientInfo == null) {
            return true;
        }
        try (Statement s = c.createStatement()) {
            if (!c.getAutoCommit()) {
                c.rollback();
            }
            s.execute(SessionState.RESET);
            if (!c.getAutoCommit()) {
                c.commit();
            }
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * Looks at a statement's SQL after it succeeded: session {@code SET}, {@code RESET} and
     * {@code DISCARD} commands are recorded, to be run again on a new physical connection, and
     * any change to the session is undone before a pooled physical connection goes back.
     */
    void observed(String statementSql, boolean inTransaction) {
        SessionCommand command = SessionCommand.of(statementSql);
        if (command.kind() != SessionCommand.Kind.NONE) {
            sql.observed(command, inTransaction);
        }
    }

    void transactionEnded(boolean committed) {
        sql.transactionEnded(committed);
    }

    void clientInfo(String name, String value) {
        if (clientInfo == null) {
            clientInfo = new Properties();
        }
        if (value == null) {
            clientInfo.remove(name);
        } else {
            clientInfo.setProperty(name, value);
        }
    }
}
