package org.pgha.driver.fakes;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A physical connection without a server, for unit tests of the collaborators that hold one:
 * it keeps the flags JDBC lets a caller read back (autocommit, read-only, closed), logs every
 * call and every SQL text its statements run, and fails a method when told to.
 */
public final class FakeConnection implements InvocationHandler {

    private final String name;
    private final List<String> calls = new ArrayList<>();
    private final List<String> executed = new ArrayList<>();
    private final Map<String, SQLException> failures = new HashMap<>();
    private boolean autoCommit = true;
    private boolean readOnly;
    private boolean closed;
    private boolean aborted;
    private long updateCount = 1;
    /** The row every query of its statements returns: a transaction id and an insert position, by default. */
    private String[] queryRow = {"731", "0/3000060"};
    private final Connection proxy;

    public FakeConnection(String name) {
        this.name = name;
        this.proxy = (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                this);
    }

    public Connection connection() {
        return proxy;
    }

    /** Every later call of {@code method} (on the connection or its statements) throws {@code failure}. */
    public FakeConnection failing(String method, SQLException failure) {
        failures.put(method, failure);
        return this;
    }

    /** What {@code executeUpdate} and {@code getLargeUpdateCount} return. */
    public FakeConnection updateCount(long count) {
        this.updateCount = count;
        return this;
    }

    /** The calls made, as {@code name(arguments)}, {@code close} and {@code abort} included. */
    public List<String> calls() {
        return calls;
    }

    /** The SQL its statements ran, in order. */
    public List<String> executed() {
        return executed;
    }

    public boolean aborted() {
        return aborted;
    }

    public boolean closed() {
        return closed;
    }

    @Override
    public Object invoke(Object self, Method method, Object[] args) throws Throwable {
        String m = method.getName();
        switch (m) {
            case "toString":
                return name;
            case "hashCode":
                return System.identityHashCode(self);
            case "equals":
                return self == args[0];
            default:
                break;
        }
        calls.add(m + (args == null ? "()" : Arrays.toString(args).replace('[', '(').replace(']', ')')));
        SQLException failure = failures.get(m);
        if (failure != null) {
            throw failure;
        }
        switch (m) {
            case "getAutoCommit":
                return autoCommit;
            case "setAutoCommit":
                autoCommit = (Boolean) args[0];
                return null;
            case "isReadOnly":
                return readOnly;
            case "setReadOnly":
                readOnly = (Boolean) args[0];
                return null;
            case "isClosed":
                return closed;
            case "close":
                closed = true;
                return null;
            case "abort":
                aborted = true;
                closed = true;
                return null;
            case "createStatement":
                return statement();
            default:
                return defaultValue(method.getReturnType());
        }
    }

    private Statement statement() {
        InvocationHandler handler = (self, method, args) -> {
            String m = method.getName();
            if (m.equals("hashCode")) {
                return System.identityHashCode(self);
            }
            if (m.equals("equals")) {
                return self == args[0];
            }
            SQLException failure = failures.get(m);
            if (failure != null) {
                throw failure;
            }
            switch (m) {
                case "execute":
                    executed.add((String) args[0]);
                    return false;
                case "executeUpdate":
                    executed.add((String) args[0]);
                    return (int) updateCount;
                case "executeQuery":
                    executed.add((String) args[0]);
                    return row(queryRow);
                case "getLargeUpdateCount":
                    return updateCount;
                case "getConnection":
                    return proxy;
                default:
                    return defaultValue(method.getReturnType());
            }
        };
        return (Statement) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Statement.class},
                handler);
    }

    /** A result set of one row of text values. */
    private ResultSet row(String[] values) {
        boolean[] read = {false};
        InvocationHandler handler = (self, method, args) -> {
            switch (method.getName()) {
                case "next":
                    boolean first = !read[0];
                    read[0] = true;
                    return first;
                case "getString":
                    return values[(Integer) args[0] - 1];
                case "hashCode":
                    return System.identityHashCode(self);
                case "equals":
                    return self == args[0];
                default:
                    return defaultValue(method.getReturnType());
            }
        };
        return (ResultSet) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ResultSet.class}, handler);
    }

    private static Object defaultValue(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == long.class) {
            return 0L;
        }
        return null;
    }
}
