package org.pgha.bench.marathon;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.management.ObjectName;
import org.pgha.driver.failover.Journal;
import org.pgha.driver.jdbc.LogicalConnection;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.Node;

/**
 * What the application process holds between two rounds, with the load paused: heap after a
 * full collection, live threads, pgha's transaction journal entries and logical connections
 * (from a class histogram, which collects first), and the application's server connections on
 * each node ({@code pg_stat_activity}).
 *
 * @param heapBytes heap in use after a full collection
 * @param threads live threads of the JVM, the fault proxies' own left out (two per proxied
 *     connection: they follow the server connections, which are counted apart)
 * @param journalEntries live entries of pgha's transaction journals (every transaction is over, so
 *     anything here is kept by mistake)
 * @param logicalConnections live pgha logical connections
 * @param serverConnections client connections on each node, the testkit's own left out
 */
record Sample(long heapBytes, int threads, long journalEntries, long logicalConnections,
        Map<String, Integer> serverConnections) {

    // Named by class, not by string, so that a move of either class cannot turn the count into a
    // silent 0 (a journal entry named by a stale string did, once).
    static final String JOURNAL_ENTRY = Journal.Entry.class.getName();
    static final String LOGICAL_CONNECTION = LogicalConnection.class.getName();

    static Sample take(LocalCluster cluster) throws Exception {
        Map<String, Long> instances = histogram(List.of(JOURNAL_ENTRY, LOGICAL_CONNECTION));
        if (instances.get(LOGICAL_CONNECTION) == 0) {
            // HikariCP keeps pgha's logical connections in driver mode, so there are always some:
            // none means the histogram was not read right, and a journal count of 0 would mean nothing.
            throw new IllegalStateException("the JVM's class histogram shows no " + LOGICAL_CONNECTION
                    + ": its format is not the one this tool reads");
        }
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        int threads = (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !t.getName().startsWith("pgha-fault-proxy-")).count();
        Map<String, Integer> connections = new LinkedHashMap<>();
        for (Node node : cluster.nodes()) {
            connections.put(node.name(), serverConnections(cluster, node));
        }
        return new Sample(heap, threads, instances.get(JOURNAL_ENTRY), instances.get(LOGICAL_CONNECTION), connections);
    }

    int maxServerConnections() {
        return serverConnections.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    String describe() {
        return String.format("heap %.1f MB, %d threads, %d journal entries, %d logical connections, server connections %s",
                heapBytes / 1048576.0, threads, journalEntries, logicalConnections, serverConnections);
    }

    private static int serverConnections(LocalCluster cluster, Node node) throws SQLException {
        try (Connection c = cluster.connect(node); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                     + " AND application_name <> 'pgha-testkit'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Live instances of the given classes, from the JVM's class histogram (which runs a full GC first). */
    private static Map<String, Long> histogram(List<String> classes) throws Exception {
        String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        Map<String, Long> counts = new LinkedHashMap<>();
        classes.forEach(c -> counts.put(c, 0L));
        for (String line : text.split("\n")) {
            // "   12:          345          6789  org.pgha.driver.failover.Journal$Entry (module)"
            String[] parts = line.trim().split("\\s+");
            if (parts.length >= 4 && counts.containsKey(parts[3])) {
                counts.put(parts[3], Long.parseLong(parts[1]));
            }
        }
        return counts;
    }
}
