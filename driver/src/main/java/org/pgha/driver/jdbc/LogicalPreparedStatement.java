package org.pgha.driver.jdbc;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Date;
import java.sql.NClob;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.SQLXML;
import java.sql.Statement;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Calendar;
import java.util.List;
import org.pgha.driver.failover.Parameters;

/**
 * A prepared statement of a {@link LogicalConnection}. Every parameter is set on the physical
 * statement at once and recorded, so that a physical statement re-created on another node
 * (the connection moved between transactions) gets the same parameters and pending batch.
 *
 * <p>A parameter given as a stream or reader, or as an object made by the old physical
 * connection (a Blob, a Clob, ...), cannot be set again: if the statement must move while
 * holding one, it fails with SQLState 0A000 and the application sets its parameters again.
 */
final class LogicalPreparedStatement extends LogicalStatement implements PreparedStatement {

    /** Sets one recorded parameter on a physical statement. */
    @FunctionalInterface
    private interface Param {
        void apply(PreparedStatement ps, int index) throws SQLException;
    }

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

    LogicalPreparedStatement(LogicalConnection connection, Factory<PreparedStatement> factory) throws SQLException {
        super(connection, factory);
    }

    private PreparedStatement ps() throws SQLException {
        return (PreparedStatement) current();
    }

    private void record(int index, Param param, boolean once) {
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
        return execute(s -> ((PreparedStatement) s).executeQuery());
    }

    @Override
    public int executeUpdate() throws SQLException {
        return execute(s -> ((PreparedStatement) s).executeUpdate());
    }

    @Override
    public long executeLargeUpdate() throws SQLException {
        return execute(s -> ((PreparedStatement) s).executeLargeUpdate());
    }

    @Override
    public boolean execute() throws SQLException {
        return execute(s -> ((PreparedStatement) s).execute());
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

    @Override
    public ResultSetMetaData getMetaData() throws SQLException {
        return ps().getMetaData();
    }

    @Override
    public ParameterMetaData getParameterMetaData() throws SQLException {
        return ps().getParameterMetaData();
    }

    // ------------------------------------------------------------------ parameters (recorded)

    @Override
    public void setNull(int parameterIndex, int x) throws SQLException {
        ps().setNull(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setNull(i, x), false);
    }

    @Override
    public void setBoolean(int parameterIndex, boolean x) throws SQLException {
        ps().setBoolean(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setBoolean(i, x), false);
    }

    @Override
    public void setByte(int parameterIndex, byte x) throws SQLException {
        ps().setByte(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setByte(i, x), false);
    }

    @Override
    public void setShort(int parameterIndex, short x) throws SQLException {
        ps().setShort(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setShort(i, x), false);
    }

    @Override
    public void setInt(int parameterIndex, int x) throws SQLException {
        ps().setInt(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setInt(i, x), false);
    }

    @Override
    public void setLong(int parameterIndex, long x) throws SQLException {
        ps().setLong(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setLong(i, x), false);
    }

    @Override
    public void setFloat(int parameterIndex, float x) throws SQLException {
        ps().setFloat(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setFloat(i, x), false);
    }

    @Override
    public void setDouble(int parameterIndex, double x) throws SQLException {
        ps().setDouble(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setDouble(i, x), false);
    }

    @Override
    public void setBigDecimal(int parameterIndex, BigDecimal x) throws SQLException {
        ps().setBigDecimal(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setBigDecimal(i, x), false);
    }

    @Override
    public void setString(int parameterIndex, String x) throws SQLException {
        ps().setString(parameterIndex, x);
        record(parameterIndex, new Sized((ps, i) -> ps.setString(i, x), sizeOf(x)), false);
    }

    @Override
    public void setBytes(int parameterIndex, byte[] x) throws SQLException {
        ps().setBytes(parameterIndex, x);
        byte[] copy = x == null ? null : x.clone();
        record(parameterIndex, new Sized((ps, i) -> ps.setBytes(i, copy), sizeOf(copy)), false);
    }

    @Override
    public void setDate(int parameterIndex, Date x) throws SQLException {
        ps().setDate(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setDate(i, x), false);
    }

    @Override
    public void setTime(int parameterIndex, Time x) throws SQLException {
        ps().setTime(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setTime(i, x), false);
    }

    @Override
    public void setTimestamp(int parameterIndex, Timestamp x) throws SQLException {
        ps().setTimestamp(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setTimestamp(i, x), false);
    }

    @Override
    public void setAsciiStream(int parameterIndex, InputStream x, int a) throws SQLException {
        ps().setAsciiStream(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setAsciiStream(i, x, a), true);
    }

    @SuppressWarnings("deprecation")
    @Override
    public void setUnicodeStream(int parameterIndex, InputStream x, int a) throws SQLException {
        ps().setUnicodeStream(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setUnicodeStream(i, x, a), true);
    }

    @Override
    public void setBinaryStream(int parameterIndex, InputStream x, int a) throws SQLException {
        ps().setBinaryStream(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setBinaryStream(i, x, a), true);
    }

    @Override
    public void setObject(int parameterIndex, Object x, int a) throws SQLException {
        ps().setObject(parameterIndex, x, a);
        record(parameterIndex, new Sized((ps, i) -> ps.setObject(i, x, a), sizeOf(x)), false);
    }

    @Override
    public void setObject(int parameterIndex, Object x) throws SQLException {
        ps().setObject(parameterIndex, x);
        record(parameterIndex, new Sized((ps, i) -> ps.setObject(i, x), sizeOf(x)), false);
    }

    @Override
    public void setCharacterStream(int parameterIndex, Reader x, int a) throws SQLException {
        ps().setCharacterStream(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setCharacterStream(i, x, a), true);
    }

    @Override
    public void setRef(int parameterIndex, Ref x) throws SQLException {
        ps().setRef(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setRef(i, x), true);
    }

    @Override
    public void setBlob(int parameterIndex, Blob x) throws SQLException {
        ps().setBlob(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setBlob(i, x), true);
    }

    @Override
    public void setClob(int parameterIndex, Clob x) throws SQLException {
        ps().setClob(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setClob(i, x), true);
    }

    @Override
    public void setArray(int parameterIndex, Array x) throws SQLException {
        ps().setArray(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setArray(i, x), false);
    }

    @Override
    public void setDate(int parameterIndex, Date x, Calendar a) throws SQLException {
        ps().setDate(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setDate(i, x, a), false);
    }

    @Override
    public void setTime(int parameterIndex, Time x, Calendar a) throws SQLException {
        ps().setTime(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setTime(i, x, a), false);
    }

    @Override
    public void setTimestamp(int parameterIndex, Timestamp x, Calendar a) throws SQLException {
        ps().setTimestamp(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setTimestamp(i, x, a), false);
    }

    @Override
    public void setNull(int parameterIndex, int x, String a) throws SQLException {
        ps().setNull(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setNull(i, x, a), false);
    }

    @Override
    public void setURL(int parameterIndex, URL x) throws SQLException {
        ps().setURL(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setURL(i, x), false);
    }

    @Override
    public void setRowId(int parameterIndex, RowId x) throws SQLException {
        ps().setRowId(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setRowId(i, x), true);
    }

    @Override
    public void setNString(int parameterIndex, String x) throws SQLException {
        ps().setNString(parameterIndex, x);
        record(parameterIndex, new Sized((ps, i) -> ps.setNString(i, x), sizeOf(x)), false);
    }

    @Override
    public void setNCharacterStream(int parameterIndex, Reader x, long a) throws SQLException {
        ps().setNCharacterStream(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setNCharacterStream(i, x, a), true);
    }

    @Override
    public void setNClob(int parameterIndex, NClob x) throws SQLException {
        ps().setNClob(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setNClob(i, x), true);
    }

    @Override
    public void setClob(int parameterIndex, Reader x, long a) throws SQLException {
        ps().setClob(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setClob(i, x, a), true);
    }

    @Override
    public void setBlob(int parameterIndex, InputStream x, long a) throws SQLException {
        ps().setBlob(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setBlob(i, x, a), true);
    }

    @Override
    public void setNClob(int parameterIndex, Reader x, long a) throws SQLException {
        ps().setNClob(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setNClob(i, x, a), true);
    }

    @Override
    public void setSQLXML(int parameterIndex, SQLXML x) throws SQLException {
        ps().setSQLXML(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setSQLXML(i, x), true);
    }

    @Override
    public void setObject(int parameterIndex, Object x, int a, int b) throws SQLException {
        ps().setObject(parameterIndex, x, a, b);
        record(parameterIndex, new Sized((ps, i) -> ps.setObject(i, x, a, b), sizeOf(x)), false);
    }

    @Override
    public void setAsciiStream(int parameterIndex, InputStream x, long a) throws SQLException {
        ps().setAsciiStream(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setAsciiStream(i, x, a), true);
    }

    @Override
    public void setBinaryStream(int parameterIndex, InputStream x, long a) throws SQLException {
        ps().setBinaryStream(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setBinaryStream(i, x, a), true);
    }

    @Override
    public void setCharacterStream(int parameterIndex, Reader x, long a) throws SQLException {
        ps().setCharacterStream(parameterIndex, x, a);
        record(parameterIndex, (ps, i) -> ps.setCharacterStream(i, x, a), true);
    }

    @Override
    public void setAsciiStream(int parameterIndex, InputStream x) throws SQLException {
        ps().setAsciiStream(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setAsciiStream(i, x), true);
    }

    @Override
    public void setBinaryStream(int parameterIndex, InputStream x) throws SQLException {
        ps().setBinaryStream(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setBinaryStream(i, x), true);
    }

    @Override
    public void setCharacterStream(int parameterIndex, Reader x) throws SQLException {
        ps().setCharacterStream(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setCharacterStream(i, x), true);
    }

    @Override
    public void setNCharacterStream(int parameterIndex, Reader x) throws SQLException {
        ps().setNCharacterStream(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setNCharacterStream(i, x), true);
    }

    @Override
    public void setClob(int parameterIndex, Reader x) throws SQLException {
        ps().setClob(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setClob(i, x), true);
    }

    @Override
    public void setBlob(int parameterIndex, InputStream x) throws SQLException {
        ps().setBlob(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setBlob(i, x), true);
    }

    @Override
    public void setNClob(int parameterIndex, Reader x) throws SQLException {
        ps().setNClob(parameterIndex, x);
        record(parameterIndex, (ps, i) -> ps.setNClob(i, x), true);
    }

    @Override
    public void setObject(int parameterIndex, Object x, SQLType a, int b) throws SQLException {
        ps().setObject(parameterIndex, x, a, b);
        record(parameterIndex, new Sized((ps, i) -> ps.setObject(i, x, a, b), sizeOf(x)), false);
    }

    @Override
    public void setObject(int parameterIndex, Object x, SQLType a) throws SQLException {
        ps().setObject(parameterIndex, x, a);
        record(parameterIndex, new Sized((ps, i) -> ps.setObject(i, x, a), sizeOf(x)), false);
    }
}
