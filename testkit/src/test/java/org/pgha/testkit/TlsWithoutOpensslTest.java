package org.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tls()} without a working openssl fails at once, saying so, and leaves nothing behind. */
class TlsWithoutOpensslTest {

    @TempDir
    Path root;

    @Test
    void startFailsNamingOpenssl() throws Exception {
        LocalCluster.Builder builder = LocalCluster.builder().standbys(0).synchronousStandbys(0)
                .baseDirectory(root).tls().opensslCommand(root.resolve("no-openssl-here").toString());
        assertThatThrownBy(builder::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("TLS needs the openssl command");
        try (Stream<Path> left = Files.list(root)) {
            assertThat(left).as("files left under the base directory").isEmpty();
        }
    }
}
