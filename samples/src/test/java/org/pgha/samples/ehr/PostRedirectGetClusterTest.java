package org.pgha.samples.ehr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.driver.ClusterStatus;
import org.pgha.pool.PghaPoolDataSource;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The EHR sample as a browser uses it: one HTTP request registers a patient, the next one
 * (the GET after the POST's redirect, on a connection and usually a thread of its own) reads the
 * chart through {@code @Transactional(readOnly = true)}. Replay is paused on both standbys, which
 * stay within the lag bound (30 s here), so a read sent to a replica cannot see the patient.
 */
@LocalClusterTest
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PostRedirectGetClusterTest {

    private static final int ROUNDS = 8;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void theNextRequestSeesThePatientTheLastOneRegisteredWithTheStartersDefault(LocalCluster cluster) throws Exception {
        try (ConfigurableApplicationContext app = start(cluster)) {
            List<Integer> statuses = registerThenReadTheChart(cluster, app, "default");
            assertThat(statuses).as("the chart read after each registration").hasSize(ROUNDS).containsOnly(200);
        }
    }

    /** The same requests with read-your-writes on each connection only: this test can fail. */
    @Test
    void withTheConnectionScopeTheNextRequestReadsAReplicaWithoutThePatient(LocalCluster cluster) throws Exception {
        try (ConfigurableApplicationContext app = start(cluster, "--pgha.read-your-writes-scope=connection")) {
            List<Integer> statuses = registerThenReadTheChart(cluster, app, "connection");
            assertThat(statuses).as("chart reads that went to a replica lacking the patient").contains(404);
        }
    }

    private List<Integer> registerThenReadTheChart(LocalCluster cluster, ConfigurableApplicationContext app, String run)
            throws Exception {
        String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
        PghaPoolDataSource dataSource = app.getBean(PghaPoolDataSource.class);
        // Both standbys bounded (the monitor has sampled them against the primary) before replay stops.
        await().atMost(Duration.ofSeconds(20)).until(() -> dataSource.clusterStatus().nodes().stream()
                .filter(n -> n.role() == ClusterStatus.Role.REPLICA && n.up() && n.lag() != null).count() == 2);
        List<Integer> statuses = new ArrayList<>();
        cluster.standbys().forEach(cluster::pauseReplay);
        try {
            for (int i = 0; i < ROUNDS; i++) {
                HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(base + "/api/patients"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"mrn\":\"PRG-" + run + "-" + i + "\",\"familyName\":"
                                + "\"Redirect\",\"givenName\":\"Round " + i + "\",\"birthDate\":\"1970-01-01\"}")));
                assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
                String location = created.headers().firstValue("Location").orElseThrow();
                HttpResponse<String> chart = send(HttpRequest.newBuilder(URI.create(base + location + "/chart")).GET());
                statuses.add(chart.statusCode());
            }
        } finally {
            cluster.standbys().forEach(cluster::resumeReplay);
        }
        return statuses;
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static ConfigurableApplicationContext start(LocalCluster cluster, String... more) {
        List<String> arguments = new ArrayList<>(List.of(
                "--spring.datasource.url=jdbc:pgha://" + cluster.hosts() + "/" + cluster.database(),
                "--spring.datasource.username=" + cluster.user(),
                "--spring.datasource.password=" + cluster.password(),
                "--pgha.max-replica-lag=30s",
                "--pgha.probe-interval=200ms",
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--spring.main.banner-mode=off"));
        arguments.addAll(List.of(more));
        return new SpringApplicationBuilder(EhrApplication.class).run(arguments.toArray(new String[0]));
    }
}
