package org.pgha.samples.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The meters the monitoring files in {@code docs/monitoring} name: every {@code pgha_*} and
 * {@code hikaricp_*} series in the dashboard's queries and in the rules' expressions, and the
 * recording rules ({@code pgha:*}) the dashboard uses and the rules file defines.
 */
final class MeterReferences {

    static final Path DIRECTORY = Path.of("..", "docs", "monitoring");
    static final Path DASHBOARD = DIRECTORY.resolve("pgha-dashboard.json");
    static final Path RULES = DIRECTORY.resolve("pgha-rules.yml");

    private static final Pattern SERIES = Pattern.compile("\\b(?:pgha|hikaricp)_[a-z0-9_]+\\b");
    private static final Pattern RECORDING = Pattern.compile("\\bpgha:[a-z0-9_:]+[a-z0-9_]");
    private static final Pattern JSON_QUERY = Pattern.compile("\"(?:expr|query)\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern RECORD = Pattern.compile("(?m)^\\s*-?\\s*record:\\s*(\\S+)\\s*$");

    private MeterReferences() {
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The query texts of a Grafana dashboard (panel targets and template variables), unescaped. */
    static Set<String> dashboardQueries(String json) {
        Set<String> queries = new TreeSet<>();
        Matcher m = JSON_QUERY.matcher(json);
        while (m.find()) {
            queries.add(m.group(1).replace("\\\"", "\"").replace("\\\\", "\\"));
        }
        return queries;
    }

    /** The series names in some texts. */
    static Set<String> series(Iterable<String> texts) {
        return matches(SERIES, texts);
    }

    /** The recording rule names some texts use. */
    static Set<String> recordings(Iterable<String> texts) {
        return matches(RECORDING, texts);
    }

    private static Set<String> matches(Pattern pattern, Iterable<String> texts) {
        Set<String> names = new TreeSet<>();
        for (String text : texts) {
            Matcher m = pattern.matcher(text);
            while (m.find()) {
                names.add(m.group());
            }
        }
        return names;
    }

    /** The rules file without its comment lines (comments may name what is not a series). */
    static String rulesWithoutComments(String yaml) {
        return yaml.replaceAll("(?m)^\\s*#.*$", "");
    }

    /** The recording rules a rules file defines. */
    static Set<String> defined(String yaml) {
        Set<String> names = new TreeSet<>();
        Matcher m = RECORD.matcher(yaml);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** Every series the dashboard and the rules name. */
    static Set<String> named() {
        Set<String> names = new TreeSet<>(series(dashboardQueries(read(DASHBOARD))));
        names.addAll(series(Set.of(rulesWithoutComments(read(RULES)))));
        return names;
    }

    /** The series {@link #named()} that {@code exported} lacks. */
    static Set<String> missing(Set<String> named, Set<String> exported) {
        Set<String> missing = new TreeSet<>(named);
        missing.removeAll(exported);
        return missing;
    }
}
