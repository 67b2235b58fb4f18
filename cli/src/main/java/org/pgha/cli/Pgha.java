package org.pgha.cli;

import java.io.PrintStream;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pgha.driver.config.PghaConfig;

/**
 * pgha's command line, for operators: {@code status} prints the cluster as pgha sees it from
 * the application's side, {@code doctor} names what in the setup puts acknowledged commits or
 * bounded reads at risk, each with its fix. Both take the application's own {@code jdbc:pgha:}
 * URL, so they see what the application sees.
 *
 * <pre>
 * java -jar pgha.jar status 'jdbc:pgha://db1,db2,db3/ehr?maxReplicaLag=1s' --user ehr_app
 * PGPASSWORD=... java -jar pgha.jar doctor 'jdbc:pgha://db1,db2,db3/ehr?sslmode=verify-full' --watch 10s
 * </pre>
 *
 * Exit codes (see docs/operations.md): {@value #OK} nothing to report, {@value #WARNING}
 * warnings only, {@value #PROBLEM} a problem, {@value #UNREACHABLE} no node answered,
 * {@value #USAGE} wrong arguments or an invalid URL.
 */
public final class Pgha {

    /** Nothing to report. */
    public static final int OK = 0;
    /** Warnings only: status, a node down or no replica within the bound; doctor, a warning. */
    public static final int WARNING = 1;
    /** status: writes have no primary; doctor: a problem that can lose commits or stop the application. */
    public static final int PROBLEM = 2;
    /** No node of the URL answered: nothing could be checked. */
    public static final int UNREACHABLE = 3;
    /** Wrong arguments or an invalid URL (as sysexits' EX_USAGE). */
    public static final int USAGE = 64;

    static final String USAGE_TEXT = """
            usage: pgha status URL [--user NAME]
                   pgha doctor URL [--user NAME] [--watch DURATION]

              URL         the application's jdbc:pgha:// URL, with its properties
              --user      the login role (else the URL's user, else PGUSER)
              --watch     how long doctor watches the replicas' lag (default 5s, at least
                          twice maxReplicaLag): 500ms, 10s, 1m
              The password comes from PGPASSWORD (or the URL's password property).

            exit: 0 nothing to report, 1 warnings, 2 a problem, 3 no node answered, 64 usage
            """;

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m)");

    private Pgha() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, System.getenv(), Clock.systemUTC()));
    }

    /**
     * Runs one command.
     *
     * @param env the environment ({@code PGUSER}, {@code PGPASSWORD})
     * @param clock this machine's clock, which doctor compares the servers' clocks with
     * @return the exit code
     */
    static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env, Clock clock) {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help"))) {
            out.print(USAGE_TEXT);
            return OK;
        }
        if (args.length < 2) {
            return usage(err, args.length == 0 ? "a command and a URL are needed" : "a URL is needed");
        }
        String command = args[0];
        if (!command.equals("status") && !command.equals("doctor")) {
            return usage(err, "unknown command '" + command + "': status or doctor");
        }
        String url = args[1];
        String user = null;
        Duration watch = null;
        for (int i = 2; i < args.length; i++) {
            String option = args[i];
            if (i + 1 == args.length) {
                return usage(err, option.startsWith("--") ? option + " needs a value" : "unknown argument '" + option + "'");
            }
            String value = args[++i];
            switch (option) {
                case "--user" -> user = value;
                case "--watch" -> {
                    if (!command.equals("doctor")) {
                        return usage(err, "--watch is an option of doctor");
                    }
                    watch = duration(value);
                    if (watch == null) {
                        return usage(err, "--watch '" + value + "' is not a duration such as 500ms, 10s or 1m");
                    }
                }
                default -> {
                    return usage(err, "unknown option '" + option + "'");
                }
            }
        }
        Properties info = new Properties();
        if (user == null) {
            user = env.get("PGUSER");
        }
        if (user != null) {
            info.setProperty("user", user);
        }
        if (env.get("PGPASSWORD") != null) {
            info.setProperty("password", env.get("PGPASSWORD"));
        }
        if (!PghaConfig.acceptsUrl(url)) {
            return usage(err, "not a jdbc:pgha:// URL: " + (url.length() > 64 ? url.substring(0, 64) + "..." : url));
        }
        PghaConfig config;
        try {
            config = PghaConfig.parse(url, info);
        } catch (SQLException invalid) {
            return usage(err, invalid.getMessage());
        }
        if (config.user() == null) {
            return usage(err, "no user: give --user, PGUSER or the URL's user property");
        }
        try (ClusterSession session = ClusterSession.open(config)) {
            if (command.equals("status")) {
                return StatusReport.of(session).print(out);
            }
            Duration window = watch != null ? watch : Doctor.defaultWatch(config);
            return new Doctor(session, clock).run(window).print(out, config, window);
        }
    }

    private static int usage(PrintStream err, String problem) {
        err.println("pgha: " + problem);
        err.print(USAGE_TEXT);
        return USAGE;
    }

    /** A duration in pgha's syntax with its unit ({@code 500ms}, {@code 10s}, {@code 1m}), or null. */
    static Duration duration(String text) {
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            return null;
        }
        long amount = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(amount);
            case "s" -> Duration.ofSeconds(amount);
            default -> Duration.ofMillis(amount);
        };
        return d.isZero() ? null : d;
    }
}
