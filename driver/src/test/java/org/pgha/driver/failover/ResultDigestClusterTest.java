package org.pgha.driver.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;

/**
 * A replayed statement starts afresh on a new connection, in text format, where the lost
 * one may have been getting binary results (pgjdbc's prepareThreshold): the same rows must
 * give the same digest in both formats, or every such replay would be rolled back.
 */
@LocalClusterTest(standbys = 0, synchronousStandbys = 0)
class ResultDigestClusterTest {

    private static final String QUERY = "SELECT 42::int2, 42::int4, 42::int8, 1.50::numeric, 0.1::float4, 0.1::float8,"
            + " true, 'x'::text, 'x'::char(3), '\\x00ff'::bytea, DATE '2026-11-27', TIME '10:11:12.345678',"
            + " TIMESTAMP '2026-11-27 10:11:12.345678', TIMESTAMPTZ '2026-11-27 10:11:12.345678+01',"
            + " TIMETZ '10:11:12+02', INTERVAL '1 day 2 hours', '6a1f5ab6-1b54-4b43-9d7a-2f9b8c1d4e5f'::uuid,"
            + " '{\"a\": [1, 2]}'::jsonb, '{\"a\": 1}'::json, ARRAY[1, NULL, 3]::int4[], ARRAY['a', 'b']::text[],"
            + " '12.34'::money, '192.168.0.1/24'::inet, NULL::int4, v FROM generate_series(1, 3) v";

    @Test
    void theSameRowsGiveTheSameDigestInTextAndInBinaryFormat(LocalCluster cluster) throws SQLException {
        ResultDigest binary = new ResultDigest();
        try (Connection c = connect(cluster, "-1"); PreparedStatement ps = c.prepareStatement(QUERY);
             ResultSet rs = ps.executeQuery()) {
            readAll(rs, binary);
        }
        try (Connection c = connect(cluster, "5"); PreparedStatement ps = c.prepareStatement(QUERY);
             ResultSet rs = ps.executeQuery()) {
            assertThat(binary.compare(rs)).isNull();
            assertThat(rs.isAfterLast()).as("left where the application was: after the end").isTrue();
        }
    }

    @Test
    void aDifferentValueARowMoreOrARowLessIsFound(LocalCluster cluster) throws SQLException {
        try (Connection c = connect(cluster, "5")) {
            ResultDigest read = digest(c, "SELECT v, 'a' FROM generate_series(1, 3) v", 3);
            assertThat(compare(c, read, "SELECT v, 'a' FROM generate_series(1, 3) v")).isNull();
            assertThat(compare(c, read, "SELECT v, 'b' FROM generate_series(1, 3) v")).isEqualTo("the 3 rows read differ");
            assertThat(compare(c, read, "SELECT v, 'a' FROM generate_series(1, 2) v")).isEqualTo("it has 2 rows where 3 were read");
            assertThat(compare(c, read, "SELECT v, 'a' FROM generate_series(1, 4) v")).isEqualTo("it has more than the 3 rows read");
            // Values that would run together if they were simply concatenated.
            ResultDigest split = digest(c, "SELECT 'ab', 'c'", 1);
            assertThat(compare(c, split, "SELECT 'a', 'bc'")).isEqualTo("the 1 rows read differ");
            // Rows the application did not read are not compared.
            ResultDigest firstOnly = digest(c, "SELECT v FROM generate_series(1, 3) v", 1);
            assertThat(compare(c, firstOnly, "SELECT v FROM generate_series(1, 9) v")).isNull();
        }
    }

    /** Reads {@code rows} rows (and the end, if that is all of them), as an application would. */
    private static ResultDigest digest(Connection c, String sql, int rows) throws SQLException {
        ResultDigest digest = new ResultDigest();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            for (int i = 0; i < rows; i++) {
                assertThat(rs.next()).isTrue();
                digest.row(rs);
            }
            if (sql.contains("(1, " + rows + ")") || !sql.contains("generate_series")) {
                assertThat(rs.next()).isFalse();
                digest.end();
            }
        }
        return digest;
    }

    private static String compare(Connection c, ResultDigest digest, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            return digest.compare(rs);
        }
    }

    private static void readAll(ResultSet rs, ResultDigest digest) throws SQLException {
        while (rs.next()) {
            digest.row(rs);
        }
        digest.end();
    }

    private static Connection connect(LocalCluster cluster, String prepareThreshold) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", cluster.user());
        props.setProperty("password", cluster.password());
        props.setProperty("prepareThreshold", prepareThreshold);
        return DriverManager.getConnection(cluster.jdbcUrl(cluster.primary()), props);
    }
}
