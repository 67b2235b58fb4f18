package org.pgha.driver.jdbc;

import java.sql.Blob;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.pgha.codegen.Forward;
import org.pgha.driver.failover.Parameters;
import org.pgha.driver.failover.SqlText;
import org.pgha.driver.failover.TransactionIdQuery;

/**
 * A prepared statement of a {@link LogicalConnection}. Every parameter is set on the physical
 * statement at once and recorded, so that a physical statement re-created on another node
 * (the connection moved between transactions) gets the same parameters and pending batch.
 *
 * <p>A parameter given as a stream or reader, or as an object made by the old physical
 * connection (a Blob, a Clob, ...), cannot be set again: if the statement must move while
 * holding one, it fails with SQLState 0A000 and the application sets its parameters again.
 */
@Forward(type = PreparedStatement.class, name = "RecordingPreparedStatement", base = LogicalStatement.class, to = "ps",
        recorded = "set*", sized = {"setString", "setNString", "setObject"},
        oneShot = {"java.io.InputStream", "java.io.Reader", "java.sql.Ref", "java.sql.Blob", "java.sql.Clob",
            "java.sql.NClob", "java.sql.RowId", "java.sql.SQLXML"})
final class LogicalPreparedStatement extends RecordingPreparedStatement {

    /**
     * Recorded in place of a parameter set from a stream or a connection-bound object, which
     * cannot be set again elsewhere.
     */
    private static final Param ONE_SHOT = (ps, index) -> {
        throw new SQLException("Parameter " + index + " was set from a stream or a connection-bound object and"
                + " cannot be set again on the node this connection moved to; set the parameters again", "0A000");
    };

    private static final Param[] NONE = new Param[0];

    /** A parameter that holds a large value, with what it costs on the heap, for the journal's byte budget. */
    private record Sized(Param value, long bytes) implements Param {
        @Override
        public void apply(PreparedStatement ps, int index) throws SQLException {
            value.apply(ps, index);
        }
    }

    /** What a recorded parameter costs on the heap, roughly: its value's size, or a small constant. */
    private static long bytes(Param p) {
        return p instanceof Sized sized ? sized.bytes() : 16;
    }

    /** A rough heap size of a parameter value. */
    private static long sizeOf(Object x) {
        if (x instanceof byte[] bytes) {
            return 16L + bytes.length;
        }
        if (x instanceof CharSequence text) {
            return 40L + 2L * text.length();
        }
        return 16;
    }

    /** By parameter index - 1; made at the first parameter, grown to the highest index set. */
    private Param[] params = NONE;
    private List<Param[]> batch;
    /**
     * The SQL with the transaction-id query appended, made at the first execution that could
     * carry it (so a read or an autocommit write never pays for it); empty when the SQL cannot
     * carry it, null before it is known.
     */
    private String withIdSql;
    /** The physical statement of {@link #withIdSql}, made when first needed, and the connection it is on. */
    private PreparedStatement withId;
    private Connection withIdOwner;

    private final String sql;

    /**
     * @param sql the statement's SQL
     * @param plain whether it was prepared with the default result set type, concurrency and
     *     holdability and no generated keys: only then may it read the transaction id along
     */
    LogicalPreparedStatement(LogicalConnection connection, Factory<PreparedStatement> factory, String sql, boolean plain)
            throws SQLException {
        super(connection, factory, plain);
        this.sql = sql;
    }

    /** Whether its SQL can run in a transaction of pgha's: asked only with {@code exactlyOnceAutocommit}. */
    @Override
    boolean fitsInTransaction(String ignored) {
        return SqlText.fitsInTransaction(sql);
    }

    /**
     * The statement prepared with the query appended, on the physical connection of this one,
     * with its settings and parameters; null when this execution cannot carry the query.
     */
    @Override
    Statement withTransactionId(Statement s, String sql) throws SQLException {
        if (!plain || !idReadable() || batch != null || oneShot(params)) {
            return null;
        }
        if (withIdSql == null) {
            withIdSql = TransactionIdQuery.appendableTo(this.sql) ? this.sql + TransactionIdQuery.APPENDED : "";
        }
        if (withIdSql.isEmpty()) {
            return null;
        }
        Connection c = owner();
        if (withId == null || withIdOwner != c) {
            closeWithId();
            withId = c.prepareStatement(withIdSql);
            withIdOwner = c;
        } else {
            withId.clearParameters();
        }
        applySettings(withId);
        apply(withId, params);
        return withId;
    }

    @Override
    boolean runAppended(Statement s, String sql) throws SQLException {
        return ((PreparedStatement) s).execute();
    }

    private void closeWithId() {
        if (withId != null) {
            try {
                withId.close();
            } catch (SQLException ignored) {
                // its connection may be gone already
            }
            withId = null;
            withIdOwner = null;
        }
    }

    @Override
    public void close() throws SQLException {
        closeWithId();
        super.close();
    }

    @Override
    PreparedStatement ps() throws SQLException {
        return (PreparedStatement) current();
    }

    @Override
    Param sized(Param value, Object x) {
        return new Sized(value, sizeOf(x));
    }

    @Override
    void record(int index, Param param, boolean once) {
        if (index < 1) {
            return; // the physical statement rejected it already
        }
        if (index > params.length) {
            params = Arrays.copyOf(params, Math.max(index, Math.max(4, params.length * 2)));
        }
        params[index - 1] = once ? ONE_SHOT : param;
    }

    @Override
    void reapply(Statement fresh) throws SQLException {
        PreparedStatement ps = (PreparedStatement) fresh;
        if (batch != null) {
            for (Param[] entry : batch) {
                if (entry == null) {
                    throw new SQLException("A batch entry was set from a stream or a connection-bound object and cannot be"
                            + " added again on the node this connection moved to; build the batch again", "0A000");
                }
                apply(ps, entry);
                ps.addBatch();
            }
        }
        apply(ps, params);
    }

    /** Parameters and batch entries as they were at an execution, for the journal. */
    record Snapshot(Param[] params, List<Param[]> batch) implements Parameters {
        @Override
        public int weight() {
            return batch == null ? 1 : Math.max(1, batch.size());
        }

        /** Roughly what the snapshot holds on the heap. */
        @Override
        public long bytes() {
            long total = bytesOf(params);
            if (batch != null) {
                for (Param[] entry : batch) {
                    total += bytesOf(entry);
                }
            }
            return total;
        }

        private static long bytesOf(Param[] values) {
            long total = 16L + 8L * values.length;
            for (Param p : values) {
                if (p != null) {
                    total += LogicalPreparedStatement.bytes(p);
                }
            }
            return total;
        }
    }

    @Override
    public Parameters parameters() {
        if (oneShot(params)) {
            return Parameters.NOT_REPEATABLE;
        }
        if (batch != null && batch.contains(null)) {
            return Parameters.NOT_REPEATABLE;
        }
        return new Snapshot(params.clone(), batch == null ? null : new ArrayList<>(batch));
    }

    @Override
    void applyParameters(Statement s, Parameters parameters) throws SQLException {
        PreparedStatement ps = (PreparedStatement) s;
        ps.clearParameters();
        ps.clearBatch();
        Snapshot taken = (Snapshot) parameters;
        if (taken.batch() != null) {
            for (Param[] entry : taken.batch()) {
                apply(ps, entry);
                ps.addBatch();
            }
        }
        apply(ps, taken.params());
    }

    @Override
    public void restoreParameters() throws SQLException {
        ps().clearParameters();
        super.restoreParameters();
    }

    private static void apply(PreparedStatement ps, Param[] values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null) {
                values[i].apply(ps, i + 1);
            }
        }
    }

    private static boolean oneShot(Param[] values) {
        for (Param value : values) {
            if (value == ONE_SHOT) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ execution

    @Override
    public ResultSet executeQuery() throws SQLException {
        return execute(s -> ((PreparedStatement) s).executeQuery(), Shape.QUERY, null);
    }

    @Override
    public int executeUpdate() throws SQLException {
        return execute(s -> ((PreparedStatement) s).executeUpdate(), Shape.UPDATE, null);
    }

    @Override
    public long executeLargeUpdate() throws SQLException {
        return execute(s -> ((PreparedStatement) s).executeLargeUpdate(), Shape.LARGE_UPDATE, null);
    }

    @Override
    public boolean execute() throws SQLException {
        return execute(s -> ((PreparedStatement) s).execute(), Shape.EXECUTE, null);
    }

    @Override
    public void addBatch() throws SQLException {
        ps().addBatch();
        if (batch == null) {
            batch = new ArrayList<>();
        }
        // A batch entry with a stream cannot move either: keep it out of what can be re-applied.
        batch.add(oneShot(params) ? null : params.clone());
    }

    @Override
    void batchExecuted() {
        super.batchExecuted();
        batch = null;
    }

    @Override
    public void clearBatch() throws SQLException {
        super.clearBatch();
        batch = null;
    }

    @Override
    public void clearParameters() throws SQLException {
        ps().clearParameters();
        Arrays.fill(params, null);
    }

    // ------------------------------------------------------------------ parameters (recorded)

    @Override
    public void setBytes(int parameterIndex, byte[] x) throws SQLException {
        ps().setBytes(parameterIndex, x);
        byte[] copy = x == null ? null : x.clone();
        record(parameterIndex, new Sized((ps, i) -> ps.setBytes(i, copy), sizeOf(copy)), false);
    }
}
