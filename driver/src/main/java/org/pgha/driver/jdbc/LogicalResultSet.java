package org.pgha.driver.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.pgha.codegen.Forward;
import org.pgha.driver.failover.RecordedResult;
import org.pgha.driver.failover.ResultDigest;

/**
 * A result set of a {@link LogicalStatement}: pgjdbc's, reporting the logical statement as its
 * own, and, inside a transaction that can be replayed, recording what the application read
 * (a {@link ResultDigest}). After a replay the result set continues on the replayed result,
 * at the same row, so that rows not yet read come from the transaction that goes on.
 *
 * <p>Moving other than forward ({@code previous}, {@code absolute}, ...) and changing rows
 * through the result set cannot be verified: they make the transaction not replayable.
 */
@Forward(type = ResultSet.class, name = "ForwardingResultSet", to = "delegate", guard = "unverifiable",
        guarded = {"previous", "absolute", "relative", "first", "last", "beforeFirst", "afterLast", "update*", "insertRow",
            "deleteRow", "refreshRow", "cancelRowUpdates", "moveToInsertRow", "moveToCurrentRow"})
final class LogicalResultSet extends ForwardingResultSet implements RecordedResult {

    private final LogicalStatement statement;
    private final ResultDigest digest;
    private ResultSet delegate;
    private boolean closed;

    /**
     * @param digest where to record what is read, or null outside a replayable transaction
     */
    LogicalResultSet(LogicalStatement statement, ResultSet delegate, ResultDigest digest) {
        this.statement = statement;
        this.delegate = delegate;
        this.digest = digest;
    }

    /** What the application read, or null. */
    @Override
    public ResultDigest digest() {
        return digest;
    }

    /** Continues on a replayed result, positioned where this one is (see {@link ResultDigest#compare}). */
    @Override
    public void continueOn(ResultSet replayed) throws SQLException {
        if (closed) {
            replayed.close();
            return;
        }
        delegate = replayed;
    }

    @Override
    ResultSet delegate() {
        return delegate;
    }

    @Override
    void unverifiable(String method) {
        if (digest != null) {
            statement.connection.path.notReplayable("the application called ResultSet." + method);
        }
    }

    @Override
    public boolean next() throws SQLException {
        boolean moved;
        try {
            moved = delegate.next();
        } catch (SQLException e) {
            throw statement.connection.failed(e);
        }
        if (digest != null) {
            if (moved) {
                digest.row(delegate);
            } else {
                digest.end();
            }
        }
        return moved;
    }

    @Override
    public void close() throws SQLException {
        closed = true;
        delegate.close();
    }

    @Override
    public boolean isClosed() throws SQLException {
        return closed || delegate.isClosed();
    }

    @Override
    public Statement getStatement() throws SQLException {
        return statement;
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        return delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || delegate.isWrapperFor(iface);
    }
}
