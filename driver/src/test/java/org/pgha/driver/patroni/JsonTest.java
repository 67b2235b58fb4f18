package org.pgha.driver.patroni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

    @Test
    void readsEveryKindOfValue() {
        Object value = Json.parse(" {\"a\": [1, -2, 3.5, 1e3, true, false, null], \"b\": {\"c\": \"d\\n\\u00e9\\\"\\/\"},"
                + " \"big\": 123456789012345678901234567890, \"empty\": {}, \"none\": []}\n");
        assertThat(value).isEqualTo(Map.of(
                "a", java.util.Arrays.asList(1L, -2L, 3.5, 1000.0, true, false, null),
                "b", Map.of("c", "d\né\"/"),
                "big", 1.2345678901234568E29,
                "empty", Map.of(),
                "none", List.of()));
        assertThat(List.copyOf(((Map<?, ?>) value).keySet()).toString()).as("document order").isEqualTo("[a, b, big, empty, none]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\" 1}", "{\"a\": 1,}", "[1,]", "[1 2]", "01", "1.", "-", "1e", "\"open",
        "\"bad \\x escape\"", "\"\\u12\"", "tru", "nul", "{\"a\": 1} x", "{a: 1}", "{\"a\": 1, \"a\": 2}", "\"tab\there\""})
    void refusesWhatIsNotExactlyOneWellFormedValue(String text) {
        assertThatThrownBy(() -> Json.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Malformed JSON at offset");
    }

    @Test
    void refusesNestingDeeperThanAnyPatroniAnswerInsteadOfOverflowingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deep)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nested deeper than " + Json.MAX_DEPTH);
        assertThatThrownBy(() -> Json.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
