package org.pgha.driver;

/**
 * Whose acknowledged writes a read must see ({@code readYourWritesScope}), when
 * {@code readYourWrites} is on. Each scope includes the ones before it: a read always sees the
 * writes of its own connection.
 */
public enum ReadYourWritesScope {
    /** The writes of the same logical connection: the JDBC driver's default. */
    CONNECTION("connection"),
    /**
     * The writes acknowledged on the calling thread, on any connection of the same DataSource:
     * a service that writes in one transaction and reads in the next, on one thread.
     */
    THREAD("thread"),
    /**
     * Every write acknowledged on the same DataSource (or URL), on any thread: a web request
     * that reads what an earlier request wrote (POST, redirect, GET), on this application
     * instance. The Spring Boot starter's default. After each write, reads go to the primary
     * until a replica is known to hold it, about one probe interval.
     */
    DATA_SOURCE("dataSource");

    private final String value;

    ReadYourWritesScope(String value) {
        this.value = value;
    }

    /** The value as written in a URL or a property. */
    public String value() {
        return value;
    }
}
