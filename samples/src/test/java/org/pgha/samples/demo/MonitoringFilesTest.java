package org.pgha.samples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The alert and recording rules and the dashboard in {@code docs/monitoring}: the rules pass
 * {@code promtool check rules} and their unit tests pass {@code promtool test rules} (Debian's
 * {@code prometheus} package; {@code .ci/run} installs it), the dashboard uses only recording
 * rules the file defines, and the check that every series they name is exported can fail.
 * That check runs against a real scrape in {@link FailoverDemoTest}.
 */
class MonitoringFilesTest {

    record Result(int exit, String output) {
    }

    static Result promtool(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).directory(MeterReferences.DIRECTORY.toFile()).redirectErrorStream(true).start();
        } catch (IOException notInstalled) {
            throw new AssertionError("promtool is not installed: install Debian's prometheus package (.ci/run does)",
                    notInstalled);
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("promtool " + String.join(" ", args) + " did not finish within 60 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void theRulesPassPromtoolsCheckAndTheirUnitTests() throws Exception {
        Result check = promtool("check", "rules", "pgha-rules.yml");
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS").doesNotContainIgnoringCase("warning");
        Result tests = promtool("test", "rules", "pgha-rules.test.yml");
        assertThat(tests.exit()).as(tests.output()).isZero();
        assertThat(tests.output()).contains("SUCCESS");
    }

    @Test
    void everyAlertHasAUnitTest() {
        String rules = MeterReferences.read(MeterReferences.RULES);
        String tests = MeterReferences.read(MeterReferences.DIRECTORY.resolve("pgha-rules.test.yml"));
        java.util.regex.Matcher alerts = java.util.regex.Pattern.compile("(?m)^\\s*-\\s*alert:\\s*(\\S+)").matcher(rules);
        int count = 0;
        while (alerts.find()) {
            count++;
            assertThat(tests).as("a test of %s", alerts.group(1)).containsPattern("alertname:\\s*" + alerts.group(1) + "\\b");
        }
        assertThat(count).as("alerts in the rules file").isGreaterThanOrEqualTo(6);
    }

    @Test
    void theDashboardUsesOnlyRecordingRulesTheRulesFileDefines() {
        Set<String> queries = MeterReferences.dashboardQueries(MeterReferences.read(MeterReferences.DASHBOARD));
        assertThat(queries).as("the dashboard's queries").hasSizeGreaterThan(10);
        Set<String> used = MeterReferences.recordings(queries);
        assertThat(used).isNotEmpty();
        assertThat(MeterReferences.defined(MeterReferences.read(MeterReferences.RULES))).containsAll(used);
        assertThat(MeterReferences.named()).contains("pgha_node_role", "pgha_transaction_replays_total",
                "hikaricp_connections_active");
    }

    @Test
    void aPanelNamingAMeterThatDoesNotExistIsFound() {
        String dashboard = "{\"panels\": [{\"targets\": [{\"expr\": \"sum by (node) (rate(pgha_statements_routed_total"
                + "{cluster=~\\\"$cluster\\\"}[1m]))\"}, {\"expr\": \"pgha_no_such_meter_total > 0\"}]}]}";
        Set<String> named = MeterReferences.series(MeterReferences.dashboardQueries(dashboard));
        assertThat(named).containsExactly("pgha_no_such_meter_total", "pgha_statements_routed_total");
        PrometheusScrape scrape = PrometheusScrape.parse("""
                # HELP pgha_statements_routed_total Statements run
                # TYPE pgha_statements_routed_total counter
                pgha_statements_routed_total{cluster="ehr@db1:5432,db2:5432#ehr_app",node="db1:5432",role="primary"} 12.0
                """);
        assertThat(MeterReferences.missing(named, scrape.names())).containsExactly("pgha_no_such_meter_total");
    }

    @Test
    void aScrapeIsReadAsPrometheusReadsIt() {
        PrometheusScrape scrape = PrometheusScrape.parse("""
                # TYPE pgha_transaction_replays_total counter
                pgha_transaction_replays_total{cluster="ehr@db1:5432,db2:5432#ehr_app",result="replayed"} 3.0
                pgha_transaction_replays_total{cluster="ehr@db1:5432,db2:5432#ehr_app",result="failed"} 0.0
                pgha_node_lag_seconds{cluster="a \\"quoted\\" name",node="db2:5432"} NaN
                jvm_threads_live_threads 42
                """);
        assertThat(scrape.sum("pgha_transaction_replays_total")).isEqualTo(3.0);
        assertThat(scrape.sum("pgha_transaction_replays_total", Map.of("result", "failed"))).isZero();
        assertThat(scrape.sum("pgha_failovers_failed_total")).as("a meter that is not there is not a zero").isNaN();
        assertThat(scrape.samples().get(2).labels()).containsEntry("cluster", "a \"quoted\" name");
        assertThat(scrape.names()).containsExactly("jvm_threads_live_threads", "pgha_node_lag_seconds",
                "pgha_transaction_replays_total");
    }
}
