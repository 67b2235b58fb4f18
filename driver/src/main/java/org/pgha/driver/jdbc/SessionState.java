package org.pgha.driver.jdbc;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The session state a logical connection made with SQL: the {@code SET} commands to run again
 * on a new physical connection (the last one per parameter, in the order they were last run),
 * and whether anything was done that a pooled physical connection must shed before its next
 * borrower gets it. Commands run in a transaction count once it commits. Not thread-safe, as
 * its connection.
 */
final class SessionState {

    /**
     * What a pooled physical connection runs before it goes back, when its borrower changed
     * its session: what {@code DISCARD ALL} does but for {@code DEALLOCATE ALL} and
     * {@code DISCARD PLANS}, which would drop pgjdbc's server-prepared statements (and
     * {@code DISCARD ALL} cannot run in a transaction). {@code SET SESSION AUTHORIZATION
     * DEFAULT} also resets the role; {@code RESET ALL} resets neither. Every part runs on a
     * hot standby too.
     */
    static final String RESET =
            "SET SESSION AUTHORIZATION DEFAULT; RESET ALL; CLOSE ALL; UNLISTEN *; SELECT pg_advisory_unlock_all();"
                    + " DISCARD TEMP; DISCARD SEQUENCES";

    private final Map<String, String> settings = new LinkedHashMap<>();
    /** The current transaction's commands, applied if it commits; null if it ran none. */
    private List<SessionCommand> pending;
    /** Something changed the session since the physical connection was bound. */
    private boolean changed;
    /** A named prepared statement exists: the physical connection cannot be reset, only closed. */
    private boolean prepared;

    /** Records a command that succeeded, in a transaction ({@code inTransaction}) or not. */
    void observed(SessionCommand command, boolean inTransaction) {
        if (command.kind() == SessionCommand.Kind.NONE) {
            return;
        }
        changed = true;
        if (command.kind() == SessionCommand.Kind.PREPARE) {
            prepared = true;
            return;
        }
        if (command.kind() == SessionCommand.Kind.UNTRACKED) {
            return;
        }
        if (inTransaction) {
            if (pending == null) {
                pending = new ArrayList<>(2);
            }
            pending.add(command);
        } else {
            apply(command);
        }
    }

    private void apply(SessionCommand command) {
        switch (command.kind()) {
            case SET:
                settings.remove(command.parameter());
                if (SessionCommand.SESSION_AUTHORIZATION.equals(command.parameter())) {
                    // It resets the role too.
                    settings.remove(SessionCommand.ROLE);
                }
                settings.put(command.parameter(), command.sql());
                break;
            case RESET:
                settings.remove(command.parameter());
                if (SessionCommand.SESSION_AUTHORIZATION.equals(command.parameter())) {
                    settings.remove(SessionCommand.ROLE);
                }
                break;
            case RESET_ALL:
                settings.keySet().removeIf(k -> !k.equals(SessionCommand.ROLE) && !k.equals(SessionCommand.SESSION_AUTHORIZATION));
                break;
            case DISCARD_ALL:
                settings.clear();
                break;
            default:
                break;
        }
    }

    /** The transaction ended: its commands count if it committed. */
    void transactionEnded(boolean committed) {
        if (committed && pending != null) {
            pending.forEach(this::apply);
        }
        pending = null;
    }

    /** The commands a new physical connection runs, in order. */
    Collection<String> commands() {
        return settings.values();
    }

    boolean hasCommands() {
        return !settings.isEmpty();
    }

    /** Whether the bound physical connection's session was changed with SQL. */
    boolean changed() {
        return changed;
    }

    /** Whether a named prepared statement was made there: it cannot go back to a pool. */
    boolean prepared() {
        return prepared;
    }

    /** A new physical connection is bound: what was changed on the last one is not there. */
    void bound() {
        changed = hasCommands();
        prepared = false;
    }
}
