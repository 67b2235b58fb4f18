package org.pgha.driver.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.net.SocketException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pgha.driver.FailureVerdict;

class FailureClassifierTest {

    @ParameterizedTest
    @CsvSource({
            "08006, false, NODE_LOST",
            "08001, false, NODE_LOST",
            "08003, true, NODE_LOST",
            "57P01, true, NODE_LOST",
            "57P02, false, NODE_LOST",
            "57P03, false, NODE_LOST",
            "25006, true, NOT_WRITABLE",
            "25006, false, APPLICATION",
            "28P01, false, AUTHENTICATION",
            "28000, true, AUTHENTICATION",
            "40001, true, APPLICATION",
            "57014, true, APPLICATION",
            "42601, true, APPLICATION",
            "23505, true, APPLICATION",
            "53300, false, APPLICATION"
    })
    void sqlStatesHaveTheirVerdicts(String state, boolean onPrimary, FailureVerdict expected) {
        assertThat(FailureClassifier.DEFAULT.classify(new SQLException("x", state), onPrimary)).isEqualTo(expected);
    }

    @Test
    void anIoErrorWithoutSqlStateIsANodeLost() {
        SQLException io = new SQLException("broken", (String) null, new SocketException("Connection reset"));
        assertThat(FailureClassifier.DEFAULT.classify(io, false)).isEqualTo(FailureVerdict.NODE_LOST);
        SQLException deep = new SQLException("broken", null, new RuntimeException(new EOFException()));
        assertThat(FailureClassifier.DEFAULT.classify(deep, false)).isEqualTo(FailureVerdict.NODE_LOST);
        assertThat(FailureClassifier.DEFAULT.classify(new SQLException("odd"), false)).isEqualTo(FailureVerdict.APPLICATION);
    }

    @Test
    void theApplicationsOverrideHasTheLastWordAndAFailingOneIsIgnored() {
        FailureClassifier proxyAware = new FailureClassifier((e, verdict) ->
                "XX000".equals(e.getSQLState()) && e.getMessage().contains("proxy") ? FailureVerdict.NODE_LOST : null);
        assertThat(proxyAware.classify(new SQLException("proxy lost its backend", "XX000"), false))
                .isEqualTo(FailureVerdict.NODE_LOST);
        assertThat(proxyAware.classify(new SQLException("internal", "XX000"), false)).isEqualTo(FailureVerdict.APPLICATION);
        FailureClassifier broken = new FailureClassifier((e, verdict) -> {
            throw new IllegalStateException("bug in the override");
        });
        assertThat(broken.classify(new SQLException("x", "08006"), false)).isEqualTo(FailureVerdict.NODE_LOST);
    }
}
