package org.pgha.samples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The README's demo, in its quick mode: two failovers under load, and what it reports. */
@Tag("cluster")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class FailoverDemoTest {

    @Test
    void theDemoLosesNothingDoublesNothingServesNothingStaleAndDrawsItsPicture(@TempDir Path output) throws Exception {
        System.setProperty("java.awt.headless", "true");
        DemoResult result = FailoverDemo.run(FailoverDemo.Options.quick(output));

        assertThat(result.clean()).as(result.report()).isTrue();
        assertThat(result.failedRequests()).as("requests the application could have been spared").isZero();
        for (DemoLoad.Kind kind : DemoLoad.Kind.values()) {
            assertThat(result.load.total(kind, true)).as(kind.label).isGreaterThan(20);
        }
        assertThat(result.failovers).hasSize(2).allSatisfy(f -> assertThat(f.firstWriteAfterNanos()).isPositive());
        assertThat(result.staleness.readsChecked()).isGreaterThan(20);
        assertThat(result.statementsByNode.values().stream().filter(counts -> counts[1] > 0))
                .as("nodes that served reads as replicas").hasSizeGreaterThanOrEqualTo(2);

        assertThat(result.metersAgree()).as(result.report()).isTrue();
        assertThat(result.failoversExpected()).as("the crash left the cluster without a primary").isGreaterThanOrEqualTo(1);
        assertThat(result.failoversCompleted()).as("failovers scraped").isGreaterThanOrEqualTo(result.failoversExpected());
        assertThat(MeterReferences.missing(MeterReferences.named(), result.meters.names()))
                .as("series the dashboard or the rules in docs/monitoring name that /actuator/prometheus does not export")
                .isEmpty();

        String report = Files.readString(output.resolve("report.txt"));
        assertThat(report).contains("0 lost, 0 duplicated", "RESULT: nothing lost", "no chart read for",
                "Prometheus (/actuator/prometheus, scraped once after the failovers)", "unknown 0");
        assertThat(result.failovers).allSatisfy(f -> assertThat(f.readGapNanos()).as("the read gap, measured").isPositive());
        Path picture = output.resolve("failover-demo.png");
        try (InputStream in = Files.newInputStream(picture)) {
            byte[] signature = in.readNBytes(8);
            assertThat(signature).as("a PNG").startsWith(0x89, 'P', 'N', 'G');
        }
        assertThat(javax.imageio.ImageIO.read(picture.toFile()).getWidth()).isEqualTo(1200);
    }
}
