package org.pgha.testkit.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SignatureException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The certificates {@link TestCertificates} makes with openssl, as Java's own X.509 code reads them. */
class TestCertificatesTest {

    @TempDir
    Path dir;

    @Test
    void theServerCertificateIsSignedByTheRootForTheLoopbackAddressAndLocalhost() throws Exception {
        TestCertificates certificates = TestCertificates.create(dir.resolve("tls"), TestCertificates.OPENSSL);
        X509Certificate root = read(certificates.rootCertificate());
        X509Certificate server = read(certificates.serverCertificate());

        root.verify(root.getPublicKey());
        assertThat(root.getBasicConstraints()).as("the root is an authority").isGreaterThanOrEqualTo(0);
        server.verify(root.getPublicKey());
        assertThat(server.getBasicConstraints()).as("the server certificate is no authority").isEqualTo(-1);
        assertThat(server.getIssuerX500Principal()).isEqualTo(root.getSubjectX500Principal());
        assertThat(server.getSubjectAlternativeNames())
                .contains(List.of(7, "127.0.0.1"), List.of(2, "localhost"));
        assertThat(server.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1"); // serverAuth
        assertThat(server.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(Duration.between(server.getNotBefore().toInstant(), server.getNotAfter().toInstant()))
                .isEqualTo(Duration.ofDays(TestCertificates.VALIDITY_DAYS));
        server.checkValidity();

        assertThat(Files.getPosixFilePermissions(certificates.serverKey()))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(certificates.serverKey())).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(certificates.directory()).isEqualTo(dir.resolve("tls").toAbsolutePath());
    }

    @Test
    void theUntrustedRootSignedNothingOfTheCluster() throws Exception {
        TestCertificates certificates = TestCertificates.create(dir, TestCertificates.OPENSSL);
        Path untrustedFile = certificates.untrustedRootCertificate();
        assertThat(certificates.untrustedRootCertificate()).as("made once").isEqualTo(untrustedFile);
        X509Certificate untrusted = read(untrustedFile);
        X509Certificate root = read(certificates.rootCertificate());
        X509Certificate server = read(certificates.serverCertificate());

        untrusted.verify(untrusted.getPublicKey());
        assertThat(untrusted.getPublicKey()).isNotEqualTo(root.getPublicKey());
        assertThat(untrusted.getSubjectX500Principal()).isNotEqualTo(root.getSubjectX500Principal());
        assertThatThrownBy(() -> server.verify(untrusted.getPublicKey())).isInstanceOf(SignatureException.class);
    }

    @Test
    void aMissingOpensslIsNamedInTheError() {
        assertThatThrownBy(() -> TestCertificates.create(dir.resolve("tls"), "pgha-no-such-openssl"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("TLS needs the openssl command")
                .hasMessageContaining("pgha-no-such-openssl");
        assertThat(dir.resolve("tls")).doesNotExist();
    }

    private static X509Certificate read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
