package org.pgha.driver.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A file of trusted certificates (PEM, or DER), such as a private certificate authority, as the
 * only trust of an HTTPS client: {@code patroniSslRootCert}. Host names are checked by the
 * client as with the JVM's trust store.
 */
public final class TrustedCertificates {

    private TrustedCertificates() {
    }

    /**
     * The X.509 certificates in {@code file}.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it: missing,
     *     unreadable, not certificates, or none in it
     */
    public static List<X509Certificate> read(Path file) {
        Collection<? extends Certificate> found;
        try (InputStream in = Files.newInputStream(file)) {
            found = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + " holds no readable X.509 certificate (PEM or DER expected): "
                    + e.getMessage(), e);
        }
        List<X509Certificate> certificates = new ArrayList<>();
        for (Certificate c : found) {
            if (c instanceof X509Certificate x) {
                certificates.add(x);
            }
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no X.509 certificate (PEM or DER expected)");
        }
        return List.copyOf(certificates);
    }

    /** A TLS context that trusts exactly {@code certificates}. */
    public static SSLContext context(List<X509Certificate> certificates) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < certificates.size(); i++) {
                store.setCertificateEntry("trusted-" + i, certificates.get(i));
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a TLS context from " + certificates.size() + " certificates", e);
        }
    }
}
