package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The driver's packages are layered (docs/decisions.md, "Driver layout"): each sub-package may
 * use the root API and the sub-packages below it, never one above; in the root package only
 * the entry points ({@link PghaDriver}, {@link PghaDataSource}) reach into sub-packages. Read
 * from the sources, imports and fully qualified names alike, comments left out.
 */
class ArchitectureTest {

    /** Lowest first: a package may use those before it. */
    static final List<String> LAYERS = List.of("config", "topology", "patroni", "metrics", "routing", "failover", "jdbc");

    static final Set<String> ENTRY_POINTS = Set.of("PghaDriver", "PghaDataSource");

    private static final Pattern REFERENCE = Pattern.compile("\\borg\\.pgha\\.driver\\.([a-z]+)\\b");
    private static final Pattern COMMENT = Pattern.compile("//[^\\n]*|/\\*.*?\\*/", Pattern.DOTALL);
    private static final Path SOURCES = Path.of("src/main/java/org/pgha/driver");

    @Test
    void noPackageReachesUpOrSideways() throws IOException {
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> violations.addAll(check(f)));
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void everySubPackageIsInALayer() throws IOException {
        Set<String> packages = new TreeSet<>();
        try (Stream<Path> dirs = Files.list(SOURCES)) {
            dirs.filter(Files::isDirectory).forEach(d -> packages.add(d.getFileName().toString()));
        }
        assertThat(packages).containsExactlyInAnyOrderElementsOf(LAYERS);
    }

    @Test
    void theCheckCatchesAnImportThatPointsBack() {
        assertThat(violations("topology", "Monitor", "import org.pgha.driver.jdbc.LogicalConnection;"))
                .containsExactly("topology.Monitor uses jdbc");
        assertThat(violations("config", "X", "java.util.List<org.pgha.driver.routing.Router> r;"))
                .containsExactly("config.X uses routing");
        assertThat(violations("", "PghaSqlState", "import org.pgha.driver.config.PghaConfig;"))
                .containsExactly("PghaSqlState uses config");
        assertThat(violations("jdbc", "L", "import org.pgha.driver.topology.Topology; // org.pgha.driver.x.Y"))
                .isEmpty();
        assertThat(violations("", "PghaDriver", "import org.pgha.driver.jdbc.ClusterAccess;")).isEmpty();
    }

    private static List<String> check(Path file) {
        Path relative = SOURCES.relativize(file);
        String pkg = relative.getNameCount() > 1 ? relative.getName(0).toString() : "";
        String name = file.getFileName().toString().replace(".java", "");
        try {
            return violations(pkg, name, Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a source of class {@code name} in sub-package {@code pkg} ("" for the root) uses that it must not. */
    static List<String> violations(String pkg, String name, String source) {
        Set<String> used = new TreeSet<>();
        Matcher m = REFERENCE.matcher(COMMENT.matcher(source).replaceAll(""));
        while (m.find()) {
            String target = m.group(1);
            if (LAYERS.contains(target) && !target.equals(pkg)) {
                used.add(target);
            }
        }
        List<String> out = new ArrayList<>();
        String self = pkg.isEmpty() ? name : pkg + "." + name;
        for (String target : used) {
            boolean allowed = pkg.isEmpty() ? ENTRY_POINTS.contains(name) : LAYERS.indexOf(target) < LAYERS.indexOf(pkg);
            if (!allowed) {
                out.add(self + " uses " + target);
            }
        }
        return out;
    }
}
