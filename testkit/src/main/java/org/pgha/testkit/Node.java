package org.pgha.testkit;

import java.nio.file.Path;

/**
 * One PostgreSQL server of a {@link LocalCluster}: a name ({@code node1}, {@code node2}, ...),
 * an address on 127.0.0.1 and a data directory. A node keeps its name and port for the life
 * of the cluster, whatever role it plays; ask the cluster for its role.
 */
public final class Node {

    private final String name;
    private final int port;
    private final Path directory;

    Node(String name, int port, Path directory) {
        this.name = name;
        this.port = port;
        this.directory = directory;
    }

    /** The node's name, also its {@code application_name} as a standby and its {@code cluster_name}. */
    public String name() {
        return name;
    }

    /** Always {@code 127.0.0.1}: the cluster listens on loopback only. */
    public String host() {
        return "127.0.0.1";
    }

    /** The port the server listens on. */
    public int port() {
        return port;
    }

    /** {@code host:port}, as it appears in a multi-host URL. */
    public String hostAndPort() {
        return host() + ":" + port;
    }

    /** The server's data directory. */
    public Path dataDirectory() {
        return directory.resolve("data");
    }

    /** The server's log file (its standard output and error). */
    public Path logFile() {
        return directory.resolve("postgres.log");
    }

    Path directory() {
        return directory;
    }

    @Override
    public String toString() {
        return name + "(" + hostAndPort() + ")";
    }
}
