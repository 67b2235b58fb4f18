package org.pgha.samples.demo;

import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import org.pgha.samples.ehr.LabService;
import org.pgha.samples.ehr.RegistrationService;
import org.pgha.testkit.Ledger;
import org.pgha.testkit.StalenessChecker;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/**
 * The demo's clients, over HTTP like the hospital's front ends: a registration desk, two
 * laboratory interfaces posting results, and two clinicians' screens reading charts. Each
 * client sends one request at a time and never retries; whatever fails is counted as failed.
 *
 * <p>Registrations and lab results go into ledgers (medical record numbers and accession
 * numbers are ledger ids), so that the database can be checked for anything acknowledged and
 * lost, or written twice. Chart reads go to the staleness checker: each patient's results are
 * posted by one laboratory interface, one at a time, so "this chart shows n results" means it
 * saw the first n, and must show every result acknowledged more than {@code maxReplicaLag}
 * before the read was sent.
 */
final class DemoLoad implements AutoCloseable {

    /** What a request does. */
    enum Kind {
        REGISTRATION("registrations"), LAB_RESULT("lab results posted"), CHART_READ("charts read");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    static final long BUCKET_MILLIS = 250;
    private static final int MAX_BUCKETS = 4 * 60 * 20; // 20 minutes
    private static final int LAB_INTERFACES = 2;
    private static final int CHART_SCREENS = 2;

    /** A registered patient; {@code key} is the ledger id of its registration. */
    private static final class RegisteredPatient {
        final long key;
        final UUID id;
        final long registeredAtNanos;
        long resultsPosted; // by its one laboratory interface only
        volatile boolean unchecked; // a post failed: its count no longer tells what a chart saw

        RegisteredPatient(long key, UUID id, long registeredAtNanos) {
            this.key = key;
            this.id = id;
            this.registeredAtNanos = registeredAtNanos;
        }
    }

    record Registered(UUID id) {
    }

    record Chart(long resultCount) {
    }

    final Ledger registrations = new Ledger("patient");
    final Ledger labResults = new Ledger("lab_result");
    final StalenessChecker staleness = new StalenessChecker();
    final long startNanos;
    private final Duration bound;
    private final RestClient http;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<RegisteredPatient> patients = new CopyOnWriteArrayList<>();
    private final AtomicLongArray ok = new AtomicLongArray(Kind.values().length * MAX_BUCKETS);
    private final AtomicLongArray failed = new AtomicLongArray(Kind.values().length * MAX_BUCKETS);
    private final AtomicLongArray slowestMillis = new AtomicLongArray(Kind.values().length);
    private final ConcurrentLinkedQueue<Long> writeAcks = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Long> chartReads = new ConcurrentLinkedQueue<>();
    private final Map<Kind, List<String>> failures = Map.of(Kind.REGISTRATION, new CopyOnWriteArrayList<>(),
            Kind.LAB_RESULT, new CopyOnWriteArrayList<>(), Kind.CHART_READ, new CopyOnWriteArrayList<>());
    private final ExecutorService clients = Executors.newCachedThreadPool();

    DemoLoad(String baseUrl, Duration maxReplicaLag) {
        this.bound = maxReplicaLag;
        JdkClientHttpRequestFactory requests = new JdkClientHttpRequestFactory(
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
        requests.setReadTimeout(Duration.ofSeconds(90));
        this.http = RestClient.builder().baseUrl(baseUrl).requestFactory(requests).build();
        this.startNanos = staleness.now();
    }

    void start() {
        clients.submit(() -> loop(Kind.REGISTRATION, this::register));
        for (int i = 0; i < LAB_INTERFACES; i++) {
            int lab = i;
            clients.submit(() -> loop(Kind.LAB_RESULT, () -> postResult(lab)));
        }
        for (int i = 0; i < CHART_SCREENS; i++) {
            String screen = "screen-" + i;
            clients.submit(() -> loop(Kind.CHART_READ, () -> readChart(screen)));
        }
    }

    /** One request; false if there was nothing to do yet. */
    @FunctionalInterface
    private interface Request {
        boolean send() throws Exception;
    }

    private void loop(Kind kind, Request request) {
        while (running.get()) {
            long sent = System.nanoTime();
            try {
                if (!request.send()) {
                    Thread.sleep(20);
                    continue;
                }
                count(ok, kind);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                count(failed, kind);
                List<String> messages = failures.get(kind);
                if (messages.size() < 5) {
                    messages.add(String.format("%.1f s: %s", seconds(sent), e.getMessage()));
                }
            }
            slowestMillis.accumulateAndGet(kind.ordinal(), (System.nanoTime() - sent) / 1_000_000, Math::max);
        }
    }

    private void count(AtomicLongArray counts, Kind kind) {
        int bucket = (int) Math.min(MAX_BUCKETS - 1, (System.nanoTime() - startNanos) / 1_000_000 / BUCKET_MILLIS);
        counts.incrementAndGet(kind.ordinal() * MAX_BUCKETS + bucket);
    }

    private boolean register() {
        long key = registrations.newId();
        var patient = new RegistrationService.NewPatient(mrn(key), "Patient", "No. " + key,
                LocalDate.of(1940, 1, 1).plusDays(key % 25_000));
        Registered registered = http.post().uri("/api/patients").body(patient).retrieve().body(Registered.class);
        registrations.acknowledged(key);
        long now = staleness.now();
        writeAcks.add(now);
        patients.add(new RegisteredPatient(key, registered.id(), now));
        return true;
    }

    static String mrn(long key) {
        return "MRN-" + key;
    }

    private boolean postResult(int lab) {
        List<RegisteredPatient> own = new ArrayList<>();
        for (RegisteredPatient p : patients) {
            if (p.key % LAB_INTERFACES == lab && !p.unchecked) {
                own.add(p);
            }
        }
        if (own.isEmpty()) {
            return false;
        }
        RegisteredPatient patient = own.get(ThreadLocalRandom.current().nextInt(own.size()));
        long accession = labResults.newId();
        var result = new LabService.NewLabResult(accession, "2345-7" /* glucose, serum */,
                BigDecimal.valueOf(70 + accession % 60), "mg/dL");
        try {
            http.post().uri("/api/patients/{id}/lab-results", patient.id).body(result).retrieve().toBodilessEntity();
        } catch (RuntimeException e) {
            patient.unchecked = true;
            throw e;
        }
        labResults.acknowledged(accession);
        long now = staleness.now();
        writeAcks.add(now);
        staleness.writeAcknowledged(patient.key, ++patient.resultsPosted, "lab-" + lab);
        return true;
    }

    private boolean readChart(String screen) {
        // Only patients registered longer ago than the lag bound: a replica need not know a newer one.
        long registeredBefore = staleness.now() - bound.toNanos() - TimeUnit.MILLISECONDS.toNanos(100);
        List<RegisteredPatient> known = new ArrayList<>();
        for (RegisteredPatient p : patients) {
            if (p.registeredAtNanos < registeredBefore && !p.unchecked) {
                known.add(p);
            }
        }
        if (known.isEmpty()) {
            return false;
        }
        RegisteredPatient patient = known.get(ThreadLocalRandom.current().nextInt(known.size()));
        long started = staleness.now();
        Chart chart = http.get().uri("/api/patients/{id}/chart", patient.id).retrieve().body(Chart.class);
        if (!patient.unchecked) {
            staleness.readCompleted(started, patient.key, chart.resultCount(), screen);
        }
        chartReads.add(staleness.now());
        return true;
    }

    void stop() throws InterruptedException {
        running.set(false);
        clients.shutdown();
        if (!clients.awaitTermination(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("a client did not finish its last request within 120 s");
        }
    }

    @Override
    public void close() {
        running.set(false);
        clients.shutdownNow();
    }

    double seconds(long nanos) {
        return (nanos - startNanos) / 1e9;
    }

    /** Requests of this kind that succeeded (or failed) in each bucket, up to {@code buckets}. */
    long[] perBucket(Kind kind, boolean succeeded, int buckets) {
        long[] counts = new long[Math.min(buckets, MAX_BUCKETS)];
        AtomicLongArray source = succeeded ? ok : failed;
        for (int i = 0; i < counts.length; i++) {
            counts[i] = source.get(kind.ordinal() * MAX_BUCKETS + i);
        }
        return counts;
    }

    long total(Kind kind, boolean succeeded) {
        long sum = 0;
        for (long n : perBucket(kind, succeeded, MAX_BUCKETS)) {
            sum += n;
        }
        return sum;
    }

    long slowestMillis(Kind kind) {
        return slowestMillis.get(kind.ordinal());
    }

    List<String> failures(Kind kind) {
        return failures.get(kind);
    }

    /** When writes (registrations, lab results) were acknowledged, on the checker's clock, in order. */
    long[] writeAcks() {
        return writeAcks.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** When chart reads succeeded, on the checker's clock, in order. */
    long[] chartReads() {
        return chartReads.stream().mapToLong(Long::longValue).sorted().toArray();
    }
}
