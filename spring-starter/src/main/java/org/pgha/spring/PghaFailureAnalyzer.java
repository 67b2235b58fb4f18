package org.pgha.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a bad {@code pgha.*} property at start-up by its name, its value and what pgha accepts. */
class PghaFailureAnalyzer extends AbstractFailureAnalyzer<InvalidPghaPropertyException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidPghaPropertyException cause) {
        String description = "The pgha property '" + cause.getProperty() + "' "
                + (cause.isValueHidden() ? "(its value is not shown)"
                        : cause.getValue() == null ? "has no value" : "has the value '" + cause.getValue() + "'")
                + ", which pgha does not accept: " + cause.getReason() + ".";
        String action = "Correct or remove '" + cause.getProperty() + "' in the application's configuration."
                + " Every pgha property, its type and its default are listed in docs/spring-boot.md.";
        return new FailureAnalysis(description, action, cause);
    }
}
