package org.pgha.driver;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What pgha adds to a JDBC {@link Connection}; reach it with
 * {@code connection.unwrap(PghaConnection.class)}, also through a pool.
 *
 * <p>Read-your-writes across connections: a consistency token names a point in the primary's
 * write-ahead log at or after this connection's last acknowledged write. Another connection,
 * in this JVM or another (carry it in a web session, a message header), that is given the
 * token reads only from replicas that have replayed past that point, or from the primary.
 *
 * <pre>{@code
 * String token = connection.unwrap(PghaConnection.class).consistencyToken();
 * // ... later, elsewhere:
 * other.unwrap(PghaConnection.class).setConsistencyToken(token);
 * other.setReadOnly(true); // reads now see the write, wherever they go
 * }</pre>
 */
public interface PghaConnection {

    /**
     * A token at or after every write this connection had acknowledged so far, and at or after
     * any token it was given. It costs a round trip to the primary only when the topology
     * monitor has not sampled the primary since the last write.
     *
     * <p>If the primary is lost during that round trip, this waits for the new one, up to
     * {@code failoverTimeout}, as a statement would: its position covers the write too.
     *
     * @return the token: a WAL position in PostgreSQL's text form and the timeline of the primary
     *     it was read on, such as {@code 16/B374D848@2}
     */
    String consistencyToken() throws SQLException;

    /**
     * Makes this connection's reads see at least what the token covers: they go only to nodes
     * on the token's timeline or a later one, and a replica must have replayed its position.
     * Tokens only ever raise the requirement: the highest position and timeline given win. A token
     * without a timeline ({@code 16/B374D848}) sets the position only.
     *
     * @throws SQLException with SQLState 22023 if the token is not one {@link #consistencyToken()} returns
     */
    void setConsistencyToken(String token) throws SQLException;

    /**
     * The node this connection's physical connection is on, {@code host:port}, or null if
     * it has not run a statement since it was opened or moved.
     */
    String currentNode();
}
