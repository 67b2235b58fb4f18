package org.pgha.cli;

import java.util.Objects;

/**
 * One thing {@code pgha doctor} found: how bad, which check, on which member, what is wrong
 * and what would fix it.
 *
 * @param severity {@link Severity#PROBLEM} if acknowledged commits can be lost, writes or
 *     reads can stop, or patient data can travel unprotected; else {@link Severity#WARNING}
 * @param check a stable name a script can match, such as {@code synchronous-commit}
 * @param node the member, {@code host:port}; null for the whole cluster or the URL
 * @param problem what is wrong and what it costs
 * @param fix what to change
 */
record Finding(Severity severity, String check, String node, String problem, String fix) {

    enum Severity {
        PROBLEM, WARNING
    }

    Finding {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(check, "check");
        Objects.requireNonNull(problem, "problem");
        Objects.requireNonNull(fix, "fix");
    }

    static Finding problem(String check, String node, String problem, String fix) {
        return new Finding(Severity.PROBLEM, check, node, problem, fix);
    }

    static Finding warning(String check, String node, String problem, String fix) {
        return new Finding(Severity.WARNING, check, node, problem, fix);
    }
}
