package org.pgha.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.pgha.testkit.PatroniCluster;
import org.pgha.testkit.internal.OsProcesses;
import org.pgha.testkit.internal.Ports;

/**
 * Debian's {@code haproxy} in front of a {@link PatroniCluster}, configured as Patroni's
 * documentation shows it: a write port whose servers are checked with
 * {@code OPTIONS /primary} on each member's REST API, a read port checked with
 * {@code OPTIONS /replica}, {@code inter 3s fall 3 rise 2 on-marked-down shutdown-sessions}.
 * On loopback only; stopped with {@link #close()}.
 */
final class Haproxy implements AutoCloseable {

    private final Process process;
    private final Path directory;
    private final int writePort;
    private final int readPort;

    private Haproxy(Process process, Path directory, int writePort, int readPort) {
        this.process = process;
        this.directory = directory;
        this.writePort = writePort;
        this.readPort = readPort;
    }

    static boolean isAvailable() {
        return OsProcesses.outputOf(List.of("haproxy", "-v")).isPresent();
    }

    static Haproxy start(PatroniCluster cluster) throws IOException, InterruptedException {
        int[] ports = Ports.free(2, new java.util.HashSet<>());
        StringBuilder cfg = new StringBuilder(String.join("\n",
                "global",
                "    maxconn 200",
                "defaults",
                "    mode tcp",
                "    retries 2",
                "    timeout client 30m",
                "    timeout connect 4s",
                "    timeout server 30m",
                "    timeout check 5s",
                ""));
        listen(cfg, "primary", ports[0], "/primary", cluster);
        listen(cfg, "replicas", ports[1], "/replica", cluster);
        Path directory = Files.createTempDirectory("pgha-bench-haproxy-");
        Path file = Files.writeString(directory.resolve("haproxy.cfg"), cfg);
        Process process = new ProcessBuilder("haproxy", "-f", file.toString(), "-db")
                .redirectErrorStream(true).redirectOutput(directory.resolve("haproxy.log").toFile()).start();
        Haproxy haproxy = new Haproxy(process, directory, ports[0], ports[1]);
        // HAProxy marks servers up only after their first checks pass (rise 2, inter 3s).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!haproxy.answers() && System.nanoTime() - deadline < 0) {
            if (!process.isAlive()) {
                throw new IllegalStateException("haproxy exited: " + Files.readString(directory.resolve("haproxy.log")));
            }
            Thread.sleep(200);
        }
        return haproxy;
    }

    private static void listen(StringBuilder cfg, String name, int port, String check, PatroniCluster cluster) {
        cfg.append("listen ").append(name).append('\n')
                .append("    bind 127.0.0.1:").append(port).append('\n')
                .append("    option httpchk OPTIONS ").append(check).append('\n')
                .append("    http-check expect status 200\n")
                .append("    default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions\n");
        for (PatroniCluster.Member m : cluster.members()) {
            cfg.append("    server ").append(m.name()).append(" 127.0.0.1:").append(m.port())
                    .append(" maxconn 100 check port ").append(m.restPort()).append('\n');
        }
    }

    private boolean answers() {
        return passes(writePort) && passes(readPort);
    }

    /** Whether HAProxy hands a connection on {@code port} to a server (which then refuses the made-up login). */
    private static boolean passes(int port) {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + port + "/postgres?connectTimeout=1&socketTimeout=2", "x", "x")) {
            return true;
        } catch (java.sql.SQLException e) {
            return "28P01".equals(e.getSQLState()) || "28000".equals(e.getSQLState());
        }
    }

    /** {@code 127.0.0.1:port} of the write port. */
    String writes() {
        return "127.0.0.1:" + writePort;
    }

    /** {@code 127.0.0.1:port} of the read port. */
    String reads() {
        return "127.0.0.1:" + readPort;
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        OsProcesses.deleteTree(directory);
    }
}
