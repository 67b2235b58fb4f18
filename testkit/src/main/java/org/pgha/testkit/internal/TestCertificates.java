package org.pgha.testkit.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The certificates of a TLS test cluster, made with the {@code openssl} command line in one
 * directory: a private certificate authority ({@code root.crt}, {@code root.key}) and a
 * server certificate it signed ({@code server.crt}, {@code server.key}) for
 * {@code IP:127.0.0.1} and {@code DNS:localhost}. Keys are EC P-256, certificates SHA-256
 * and valid for {@value #VALIDITY_DAYS} days from their creation. Key files are mode 0600,
 * certificates 0644; giving them to the server user is the caller's business.
 *
 * <p>On demand, {@link #untrustedRootCertificate()} adds another self-signed authority
 * ({@code untrusted-root.crt}) that signed nothing of the cluster's, for tests that must see
 * a verifying client refuse the server.
 *
 * <p>Only for tests: the keys are unencrypted and the authority is thrown away with the
 * directory.
 */
public final class TestCertificates {

    /** The command run when no other is given: {@code openssl} from the {@code PATH}. */
    public static final String OPENSSL = "openssl";
    /** How long the certificates are valid, from their creation. */
    public static final int VALIDITY_DAYS = 2;

    private static final Duration OPENSSL_TIMEOUT = Duration.ofMinutes(1);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String CONFIG_FILE = "openssl.cnf";
    /**
     * Our own configuration, so that neither the distribution's {@code openssl.cnf} nor its
     * defaults decide what goes into the certificates.
     */
    private static final String CONFIG = String.join("\n",
            "# written by the pgha testkit",
            "[req]",
            "distinguished_name = dn",
            "[dn]",
            "[ca]",
            "basicConstraints = critical, CA:TRUE",
            "keyUsage = critical, keyCertSign, cRLSign",
            "subjectKeyIdentifier = hash",
            "[server]",
            "basicConstraints = critical, CA:FALSE",
            "keyUsage = critical, digitalSignature",
            "extendedKeyUsage = serverAuth",
            "subjectAltName = IP:127.0.0.1, DNS:localhost",
            "subjectKeyIdentifier = hash",
            "authorityKeyIdentifier = keyid",
            "");

    private final Path directory;
    private final String openssl;
    private Path untrustedRoot; // guarded by this

    private TestCertificates(Path directory, String openssl) {
        this.directory = directory;
        this.openssl = openssl;
    }

    /**
     * Fails unless {@code openssl} runs.
     *
     * @param openssl the command, {@link #OPENSSL} or a path to it
     * @throws IllegalStateException saying that TLS needs the openssl command, if it does not run
     */
    public static void requireOpenssl(String openssl) {
        Objects.requireNonNull(openssl, "openssl");
        if (OsProcesses.outputOf(List.of(openssl, "version")).isEmpty()) {
            throw new IllegalStateException("TLS needs the openssl command line tool to make the test certificates, but '"
                    + openssl + " version' does not run: install openssl (Debian: apt-get install openssl)"
                    + " or put it on the PATH");
        }
    }

    /**
     * Makes the test authority and the server certificate in {@code directory}, which is created
     * if need be.
     *
     * @param directory where the files go; files of the same names are replaced
     * @param openssl the command, {@link #OPENSSL} or a path to it
     * @return the certificates
     * @throws IllegalStateException if openssl is missing or fails (with its output)
     * @throws UncheckedIOException if the directory cannot be written
     */
    public static TestCertificates create(Path directory, String openssl) {
        requireOpenssl(openssl);
        TestCertificates certificates = new TestCertificates(directory.toAbsolutePath(), openssl);
        try {
            Files.createDirectories(certificates.directory);
            Files.writeString(certificates.directory.resolve(CONFIG_FILE), CONFIG);
            certificates.selfSignedAuthority("root", "pgha testkit test CA");
            certificates.signServerCertificate();
            OsProcesses.makeDirectoryTraversable(certificates.directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the test certificates in " + directory, e);
        }
        return certificates;
    }

    /** The directory holding the files. */
    public Path directory() {
        return directory;
    }

    /** The test authority's certificate (PEM): what a client trusts, its {@code sslrootcert}. */
    public Path rootCertificate() {
        return directory.resolve("root.crt");
    }

    /** The server's certificate (PEM), signed by the test authority: {@code ssl_cert_file}. */
    public Path serverCertificate() {
        return directory.resolve("server.crt");
    }

    /** The server's private key (PEM, unencrypted, mode 0600): {@code ssl_key_file}. */
    public Path serverKey() {
        return directory.resolve("server.key");
    }

    /**
     * The certificate (PEM) of another self-signed authority, made on the first call: it
     * signed nothing the server presents, so a client that trusts only it must refuse the
     * server.
     *
     * @throws IllegalStateException if openssl fails
     */
    public synchronized Path untrustedRootCertificate() {
        if (untrustedRoot == null) {
            try {
                untrustedRoot = selfSignedAuthority("untrusted-root", "pgha testkit untrusted CA");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the untrusted test authority in " + directory, e);
            }
        }
        return untrustedRoot;
    }

    /** {@code <name>.key} and the self-signed {@code <name>.crt}; returns the certificate. */
    private Path selfSignedAuthority(String name, String commonName) throws IOException {
        Path key = newKey(name + ".key");
        Path certificate = directory.resolve(name + ".crt");
        openssl("req", "-new", "-x509", "-config", config(), "-extensions", "ca", "-key", key.toString(),
                "-subj", "/CN=" + commonName, "-days", Integer.toString(VALIDITY_DAYS), "-sha256",
                "-set_serial", serial(), "-out", certificate.toString());
        publicFile(certificate);
        return certificate;
    }

    private void signServerCertificate() throws IOException {
        Path key = newKey("server.key");
        Path request = directory.resolve("server.csr");
        openssl("req", "-new", "-config", config(), "-key", key.toString(), "-subj", "/CN=localhost",
                "-out", request.toString());
        openssl("x509", "-req", "-in", request.toString(), "-CA", rootCertificate().toString(),
                "-CAkey", directory.resolve("root.key").toString(), "-set_serial", serial(),
                "-days", Integer.toString(VALIDITY_DAYS), "-sha256",
                "-extfile", config(), "-extensions", "server", "-out", serverCertificate().toString());
        Files.delete(request);
        publicFile(serverCertificate());
    }

    private Path newKey(String fileName) throws IOException {
        Path key = directory.resolve(fileName);
        Files.deleteIfExists(key);
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
        // PostgreSQL refuses a key file that its group or others may read.
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return key;
    }

    private String config() {
        return directory.resolve(CONFIG_FILE).toString();
    }

    private static void publicFile(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** A random positive serial number, so that no two certificates of an authority share one. */
    private static String serial() {
        return "0x" + new BigInteger(63, RANDOM).add(BigInteger.ONE).toString(16);
    }

    private void openssl(String... arguments) {
        List<String> command = new ArrayList<>(arguments.length + 1);
        command.add(openssl);
        command.addAll(List.of(arguments));
        OsProcesses.run(command, OPENSSL_TIMEOUT);
    }
}
