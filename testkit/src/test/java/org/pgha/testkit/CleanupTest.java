package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * No server outlives its cluster: not when the JVM is terminated (the shutdown hook), and not
 * when it is killed outright (the next cluster's start-up reaps what it left).
 */
@Tag("cluster")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CleanupTest {

    @TempDir
    Path root;

    @Test
    void aTerminatedJvmTakesItsServersWithIt() throws Exception {
        Process jvm = startHolder();
        Path clusterDir = awaitReady(jvm);
        assertThat(serversIn(clusterDir)).hasSize(2);

        jvm.destroy(); // SIGTERM: shutdown hooks run
        assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(serversIn(clusterDir)).isEmpty();
        assertThat(clusterDir).doesNotExist();
    }

    @Test
    void theNextClusterReapsWhatAKilledJvmLeftBehind() throws Exception {
        Process jvm = startHolder();
        Path clusterDir = awaitReady(jvm);

        jvm.destroyForcibly(); // SIGKILL: no hook runs, the servers are orphaned
        assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(serversIn(clusterDir)).hasSize(2);

        try (LocalCluster next = LocalCluster.builder().standbys(0).synchronousStandbys(0).baseDirectory(root).start()) {
            assertThat(serversIn(clusterDir)).isEmpty();
            assertThat(clusterDir).doesNotExist();
            assertThat(next.role(next.primary())).isEqualTo(Role.PRIMARY);
        }
    }

    private Process startHolder() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-cp", System.getProperty("java.class.path"),
                "-D" + PgBinaries.BINARIES_PROPERTY + "=" + System.getProperty(PgBinaries.BINARIES_PROPERTY, ""),
                ClusterHolder.class.getName(), root.toString());
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static Path awaitReady(Process jvm) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith("READY ")) {
                Path dir = Path.of(line.substring("READY ".length()));
                // Keep draining the child's output so it never blocks on a full pipe.
                Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "cleanup-test-drain");
                drain.setDaemon(true);
                drain.start();
                return dir;
            }
            seen.append(line).append('\n');
        }
        throw new IllegalStateException("the child JVM ended before its cluster was ready:\n" + seen);
    }

    /** Postmasters whose command line names a data directory under {@code clusterDir}. */
    private static List<Long> serversIn(Path clusterDir) {
        String marker = clusterDir.toString() + "/";
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(args -> String.join(" ", args).contains(marker)).orElse(false))
                .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false))
                .map(ProcessHandle::pid)
                .collect(Collectors.toList());
    }

}
