package org.pgha.driver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Generates the property table of {@code docs/configuration.md} from {@link PghaProperty}, so
 * the reference cannot drift from the code. The table stands between {@link #BEGIN} and
 * {@link #END}; everything else in the file is written by hand. {@code PghaPropertyTest} fails
 * when the file's table differs from {@link #table()}; {@link #main} rewrites it.
 */
final class ConfigurationDocs {

    static final String BEGIN = "<!-- BEGIN GENERATED from PghaProperty: do not edit by hand -->";
    static final String END = "<!-- END GENERATED from PghaProperty -->";

    /** The command, run from the repository's root, that brings the file up to date. */
    static final String REGENERATE = "./mvnw -q -B -ntp -pl driver -am compile"
            + " && java -cp driver/target/classes org.pgha.driver.ConfigurationDocs docs/configuration.md";

    private ConfigurationDocs() {
    }

    /** The Markdown table of every property, in declaration order, ending with a line break. */
    static String table() {
        StringBuilder table = new StringBuilder()
                .append("| property | type | default | allowed values | description |\n")
                .append("|---|---|---|---|---|\n");
        for (PghaProperty property : PghaProperty.values()) {
            table.append("| `").append(property.propertyName()).append("` | ")
                    .append(property.type().displayName()).append(" | ")
                    .append(property.defaultValue() == null ? "unset" : "`" + property.defaultValue() + "`")
                    .append(" | ")
                    .append(cell(property.allowedValues())).append(" | ")
                    .append(cell(property.description())).append(" |\n");
        }
        return table.toString();
    }

    /** The table as it stands between the markers of a document, or null if the markers are missing. */
    static String tableIn(String document) {
        int begin = document.indexOf(BEGIN);
        int end = document.indexOf(END);
        if (begin < 0 || end < begin) {
            return null;
        }
        return document.substring(begin + BEGIN.length(), end).strip() + "\n";
    }

    /** The document with the text between the markers replaced by the generated table. */
    static String withTable(String document) {
        int begin = document.indexOf(BEGIN);
        int end = document.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("the document has no " + BEGIN + " ... " + END + " block");
        }
        return document.substring(0, begin + BEGIN.length()) + "\n" + table() + document.substring(end);
    }

    /** Rewrites the table of the file named by the first argument (default docs/configuration.md). */
    public static void main(String[] args) throws IOException {
        Path file = Path.of(args.length > 0 ? args[0] : "docs/configuration.md");
        String document = Files.readString(file, StandardCharsets.UTF_8);
        Files.writeString(file, withTable(document), StandardCharsets.UTF_8);
        System.out.println("wrote the property table of " + file);
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
