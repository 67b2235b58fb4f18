package org.pgha.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.pgha.driver.PghaProperty;

/** The Spring configuration metadata in the jar is the one generated from the driver's property enum. */
class ConfigurationMetadataTest {

    private static String packaged() throws IOException {
        try (InputStream in = ConfigurationMetadataTest.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("META-INF/spring-configuration-metadata.json on the class path").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void theCommittedMetadataIsUpToDate() throws IOException {
        assertThat(packaged()).as("regenerate it with: " + ConfigurationMetadata.REGENERATE)
                .isEqualTo(ConfigurationMetadata.json());
    }

    @Test
    void everyPropertyHasItsNameTypeDescriptionAndDefault() throws IOException {
        String json = packaged();
        List<String> names = JsonPath.read(json, "$.properties[*].name");
        assertThat(names).containsAll(Stream.of(PghaProperty.values()).map(ConfigurationMetadata::springName).toList())
                .contains("pgha.max-replica-lag", "pgha.transaction-replay", "management.health.pgha.enabled");
        for (PghaProperty p : PghaProperty.values()) {
            String at = "$.properties[?(@.name == '" + ConfigurationMetadata.springName(p) + "')]";
            assertThat(JsonPath.<List<String>>read(json, at + ".description")).containsExactly(p.description());
            List<Object> defaults = JsonPath.read(json, at + ".defaultValue");
            if (p.defaultValue() == null) {
                assertThat(defaults).isEmpty();
            } else {
                assertThat(defaults).singleElement().asString().isEqualTo(PghaSettings.springDefault(p));
            }
        }
        assertThat(JsonPath.<List<String>>read(json, "$.properties[?(@.name == 'pgha.read-your-writes-scope')].defaultValue"))
                .as("a Spring application's own default").containsExactly("dataSource");
        assertThat(JsonPath.<List<String>>read(json, "$.properties[?(@.name == 'pgha.max-replica-lag')].type"))
                .containsExactly("java.time.Duration");
        assertThat(JsonPath.<List<String>>read(json, "$.hints[?(@.name == 'pgha.load-balance')].values[*].value"))
                .containsExactly("roundRobin", "leastLag", "random");
    }

    @Test
    void theSpringBootDocumentListsEveryProperty() throws IOException {
        String document = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "spring-boot.md"));
        assertThat(document).contains(Stream.of(PghaProperty.values())
                .map(p -> "| `" + ConfigurationMetadata.springName(p) + "` |").toList());
    }
}
