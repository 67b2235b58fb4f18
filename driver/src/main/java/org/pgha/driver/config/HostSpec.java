package org.pgha.driver.config;

/**
 * One seed host of a {@code jdbc:pgha:} URL: a host name or address and a port. Equal host
 * specs name the same server; the canonical text form is {@code host:port} (an IPv6
 * address in brackets).
 */
public record HostSpec(String host, int port) implements Comparable<HostSpec> {

    public HostSpec {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, not " + port);
        }
    }

    @Override
    public int compareTo(HostSpec other) {
        int byHost = host.compareTo(other.host);
        return byHost != 0 ? byHost : Integer.compare(port, other.port);
    }

    /**
     * Written out: host specs are map keys on every statement (tracked connections, suspects,
     * pools), and a record's generated hashCode goes through method handles.
     */
    @Override
    public int hashCode() {
        return 31 * host.hashCode() + port;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostSpec other && port == other.port && host.equals(other.host);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
