package org.pgha.samples.demo;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pgha.samples.ehr.EhrApplication;
import org.pgha.testkit.LedgerReport;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.Node;
import org.pgha.testkit.StalenessReport;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The failover demo: a local cluster (a primary, a synchronous and an asynchronous standby),
 * the EHR sample on it with pgha's starter, and hospital clients over HTTP. Then what a
 * failover manager such as Patroni does: the primary crashes, the synchronous standby is
 * promoted and the other standby re-pointed, the old primary rejoins; later a planned
 * switchover. It prints a report, draws throughput and errors over time, and exits with 1 if
 * the ledger found a write lost or doubled, or the staleness checker a read staler than
 * {@code pgha.max-replica-lag}.
 *
 * <pre>
 * ./demo [--quick] [--output DIR]
 * </pre>
 */
public final class FailoverDemo {

    static final Duration MAX_REPLICA_LAG = Duration.ofSeconds(1);

    /**
     * How long each phase lasts.
     *
     * @param steady load before the first failure and after each promotion
     * @param settle load after each rejoin
     * @param managerDelay how long the failover manager takes to notice a crash and promote
     * @param output where the report and the picture go
     */
    record Options(Duration steady, Duration settle, Duration managerDelay, Path output) {

        static Options full(Path output) {
            return new Options(Duration.ofSeconds(8), Duration.ofSeconds(5), Duration.ofSeconds(1), output);
        }

        static Options quick(Path output) {
            return new Options(Duration.ofSeconds(4), Duration.ofSeconds(2), Duration.ofSeconds(1), output);
        }
    }

    private FailoverDemo() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Path output = Path.of("pgha-demo");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--output" -> {
                    if (i + 1 == args.length) {
                        usage("--output needs a directory");
                    }
                    output = Path.of(args[++i]);
                }
                default -> usage("unknown argument: " + args[i]);
            }
        }
        System.setProperty("java.awt.headless", "true");
        DemoResult result = run(quick ? Options.quick(output) : Options.full(output));
        System.out.println();
        System.out.print(result.report());
        System.exit(result.clean() ? 0 : 1);
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: FailoverDemo [--quick] [--output DIR]");
        System.exit(2);
    }

    static DemoResult run(Options options) throws Exception {
        Files.createDirectories(options.output());
        say("Starting a local cluster: a primary, a synchronous and an asynchronous standby ...");
        try (LocalCluster cluster = LocalCluster.builder().standbys(2).synchronousStandbys(1).database("ehr").start()) {
            Map<String, String> names = new HashMap<>();
            for (Node node : cluster.nodes()) {
                names.put(node.hostAndPort(), node.name());
            }
            say("Starting the EHR sample on jdbc:pgha://" + cluster.hosts() + "/ehr ...");
            try (ConfigurableApplicationContext app = startEhr(cluster)) {
                String baseUrl = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
                List<DemoResult.Event> events = new ArrayList<>();
                try (DemoLoad load = new DemoLoad(baseUrl, MAX_REPLICA_LAG)) {
                    load.start();
                    say("Load running: registrations, lab results posted, charts read.");
                    sleep(options.steady());

                    Node crashed = cluster.primary();
                    cluster.crash(crashed);
                    mark(events, load, DemoResult.EventType.FAULT, "crash " + crashed.name());
                    sleep(options.managerDelay());
                    failOver(cluster, load, events);
                    sleep(options.steady());
                    cluster.rejoin(crashed);
                    mark(events, load, DemoResult.EventType.REJOIN, "rejoin " + crashed.name());
                    sleep(options.settle());

                    Node stopped = cluster.primary();
                    cluster.stop(stopped);
                    mark(events, load, DemoResult.EventType.FAULT, "switchover: stop " + stopped.name());
                    failOver(cluster, load, events);
                    sleep(options.steady());
                    cluster.rejoin(stopped);
                    mark(events, load, DemoResult.EventType.REJOIN, "rejoin " + stopped.name());
                    sleep(options.settle());

                    say("Stopping the load and checking the database ...");
                    load.stop();
                    long endedNanos = load.staleness.now();
                    PrometheusScrape meters = PrometheusScrape.fetch(baseUrl + "/actuator/prometheus");
                    cluster.awaitReplication(Duration.ofSeconds(60));
                    LedgerReport registrations;
                    LedgerReport labResults;
                    try (Connection c = cluster.connect(cluster.primary())) {
                        registrations = load.registrations.compare(counts(c,
                                "SELECT substring(mrn FROM 5)::bigint, count(*) FROM patient WHERE mrn LIKE 'MRN-%' GROUP BY 1"));
                        labResults = load.labResults.compare(counts(c,
                                "SELECT accession_number, count(*) FROM lab_result GROUP BY 1"));
                    }
                    StalenessReport staleness = load.staleness.report(MAX_REPLICA_LAG);
                    DemoResult result = new DemoResult(load, events, endedNanos, registrations, labResults, staleness,
                            statementsByNode(app.getBean(MeterRegistry.class), names), meters, options.output());
                    DemoChart.write(result, options.output().resolve("failover-demo.png"));
                    Files.writeString(options.output().resolve("report.txt"), result.report());
                    return result;
                }
            }
        }
    }

    private static ConfigurableApplicationContext startEhr(LocalCluster cluster) {
        // Command-line arguments, so that they win over the sample's application.properties.
        return new SpringApplicationBuilder(EhrApplication.class).run(
                "--spring.datasource.url=jdbc:pgha://" + cluster.hosts() + "/" + cluster.database(),
                "--spring.datasource.username=" + cluster.user(),
                "--spring.datasource.password=" + cluster.password(),
                "--pgha.max-replica-lag=" + MAX_REPLICA_LAG.toMillis() + "ms",
                "--pgha.failover-timeout=30s",
                // The laboratory interfaces write all the time; with the starter's default scope
                // (dataSource) every chart would then be read from the primary. The demo's
                // screens read only patients registered longer than the bound ago, so the
                // writes of their own thread are all they must see.
                "--pgha.read-your-writes-scope=thread",
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--spring.main.banner-mode=off");
    }

    /**
     * What the failover manager does once the primary is gone: promotes the synchronous
     * standby, then re-points the other standbys to it.
     */
    private static void failOver(LocalCluster cluster, DemoLoad load, List<DemoResult.Event> events) {
        Node sync = cluster.synchronousStandby().orElseThrow();
        Node old = cluster.primary();
        long began = load.staleness.now();
        cluster.promote(sync);
        long took = load.staleness.now() - began;
        events.add(new DemoResult.Event(began, DemoResult.EventType.PROMOTION,
                String.format("promote %s (%.1f s)", sync.name(), took / 1e9)));
        say(String.format("%6.1f s  promote %s (took %.1f s)", load.seconds(began), sync.name(), took / 1e9));
        for (Node node : cluster.nodes()) {
            if (node != sync && node != old && cluster.isRunning(node)) {
                cluster.follow(node, sync);
                mark(events, load, DemoResult.EventType.REPOINT, node.name() + " follows " + sync.name());
            }
        }
    }

    private static void mark(List<DemoResult.Event> events, DemoLoad load, DemoResult.EventType type, String label) {
        long now = load.staleness.now();
        events.add(new DemoResult.Event(now, type, label));
        say(String.format("%6.1f s  %s", load.seconds(now), label));
    }

    private static Map<Long, Long> counts(Connection c, String sql) throws SQLException {
        Map<Long, Long> counts = new HashMap<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                counts.put(rs.getLong(1), rs.getLong(2));
            }
        }
        return counts;
    }

    /** Statements each node ran as primary and as replica, from pgha's meters, by node name. */
    private static Map<String, long[]> statementsByNode(MeterRegistry meters, Map<String, String> names) {
        Map<String, long[]> byNode = new LinkedHashMap<>();
        names.values().stream().sorted().forEach(name -> byNode.put(name, new long[2]));
        for (Counter counter : meters.find("pgha.statements.routed").counters()) {
            String name = names.get(counter.getId().getTag("node"));
            if (name != null) {
                byNode.get(name)["primary".equals(counter.getId().getTag("role")) ? 0 : 1] += (long) counter.count();
            }
        }
        return byNode;
    }

    private static void sleep(Duration duration) throws InterruptedException {
        Thread.sleep(duration.toMillis());
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
