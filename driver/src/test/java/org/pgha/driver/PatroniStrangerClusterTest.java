package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.pgha.testkit.Node;

/**
 * A topology source that lies: an HTTP endpoint answering as Patroni's {@code /cluster} lists
 * the servers of another cluster (a primary and two standbys, more of them than this cluster's),
 * beside this cluster's standby. Patroni's view never overrides what the servers say: only the
 * URL's hosts decide which cluster this is, so the strangers are refused, however many, and
 * the listed standby of this cluster is used.
 */
@LocalClusterTest(standbys = 1)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PatroniStrangerClusterTest {

    @Test
    void membersOfAnotherClusterListedByTheSourceAreRefusedEvenWhenTheyOutnumberTheUrlsHosts(LocalCluster cluster)
            throws Exception {
        try (LocalCluster foreign = LocalCluster.builder().standbys(2).synchronousStandbys(0).start()) {
            List<Node> listed = new java.util.ArrayList<>(foreign.nodes());
            listed.add(cluster.standbys().get(0)); // three strangers, two of this cluster's servers
            String body = listed.stream().map(n -> "{\"name\": \"" + n.name() + "\", \"host\": \"127.0.0.1\", \"port\": "
                    + n.port() + ", \"role\": \"replica\", \"state\": \"running\"}")
                    .collect(Collectors.joining(", ", "{\"members\": [", "]}"));
            HttpServer patroni = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            patroni.createContext("/cluster", exchange -> {
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            });
            patroni.start();
            List<ClusterEvent> events = new CopyOnWriteArrayList<>();
            try (PghaDataSource ds = new PghaDataSource()) {
                ds.setUrl("jdbc:pgha://" + cluster.primary().hostAndPort() + "/" + cluster.database()
                        + "?probeInterval=100ms&patroni=http://127.0.0.1:" + patroni.getAddress().getPort());
                ds.setUser(cluster.user());
                ds.setPassword(cluster.password());
                ds.addClusterEventListener(events::add);
                try (Connection c = ds.getConnection()) {
                    assertThat(RoutingClusterTest.port(c)).isEqualTo(cluster.primary().port());
                }
                await().atMost(Duration.ofSeconds(20)).until(() -> ds.clusterStatus().nodes().stream()
                        .filter(n -> n.up()).count() == 5);
                Map<String, Boolean> refused = ds.clusterStatus().nodes().stream()
                        .collect(Collectors.toMap(ClusterStatus.Node::host, ClusterStatus.Node::refused));
                assertThat(refused).containsEntry(cluster.primary().hostAndPort(), false)
                        .containsEntry(cluster.standbys().get(0).hostAndPort(), false)
                        .containsEntry(foreign.primary().hostAndPort(), true)
                        .containsEntry(foreign.standbys().get(0).hostAndPort(), true)
                        .containsEntry(foreign.standbys().get(1).hostAndPort(), true);
                for (int i = 0; i < 30; i++) {
                    try (Connection c = ds.getConnection()) {
                        c.setReadOnly(i % 2 == 0);
                        assertThat(RoutingClusterTest.port(c)).as("statement %d", i)
                                .isIn(cluster.primary().port(), cluster.standbys().get(0).port());
                    }
                }
                assertThat(events).filteredOn(e -> e.type() == ClusterEvent.Type.NODE_REFUSED)
                        .extracting(ClusterEvent::node)
                        .contains(foreign.primary().hostAndPort(), foreign.standbys().get(0).hostAndPort());
            } finally {
                patroni.stop(0);
            }
        }
    }
}
