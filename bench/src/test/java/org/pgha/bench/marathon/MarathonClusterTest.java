package org.pgha.bench.marathon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The short marathon of every build: five faults drawn from a new seed each run, so that the
 * builds together cover every kind of fault in every order. A red run prints its seed; repeat
 * it with {@code -Dmarathon.seed=N} (or the marathon's own {@code --seed N}).
 */
@Tag("cluster")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class MarathonClusterTest {

    @Test
    void fiveFaultsLoseNothingDoubleNothingAndServeNoStaleRead() throws Exception {
        long seed = Long.getLong("marathon.seed", ThreadLocalRandom.current().nextLong());
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(report, true, StandardCharsets.UTF_8);

        Marathon.Result result = Marathon.run(Marathon.Options.defaults().withSeed(seed).withFaults(5),
                new Tee(out, System.out));

        assertThat(result.problems()).as("seed %d (-Dmarathon.seed=%d repeats it):%n%s", seed, seed,
                report.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(result.faults()).isEqualTo(5);
        // Every round had work to judge: a clean report of nothing proves nothing.
        assertThat(result.rounds()).allSatisfy(round -> {
            assertThat(round.ledger().acknowledged()).isGreaterThan(100);
            assertThat(round.staleness().readsChecked()).isGreaterThan(100);
        });
    }

    /** Prints to both. */
    private static final class Tee extends PrintStream {
        private final PrintStream second;

        Tee(PrintStream first, PrintStream second) {
            super(first, true, StandardCharsets.UTF_8);
            this.second = second;
        }

        @Override
        public void write(byte[] buf, int off, int len) {
            super.write(buf, off, len);
            second.write(buf, off, len);
        }

        @Override
        public void write(int b) {
            super.write(b);
            second.write(b);
        }

        @Override
        public void flush() {
            super.flush();
            second.flush();
        }
    }
}
