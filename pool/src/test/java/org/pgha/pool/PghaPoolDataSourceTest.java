package org.pgha.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.pgha.driver.PghaSqlState;

/** Configuration of the pool, without a database. */
class PghaPoolDataSourceTest {

    @Test
    void propertiesGoToHikariCpPghaAndPgjdbcByName() {
        Properties p = new Properties();
        p.setProperty("jdbcUrl", "jdbc:pgha://db1,db2/ehr");
        p.setProperty("username", "ehr_app");
        p.setProperty("maximumPoolSize", "12");
        p.setProperty("connectionTimeout", "4000");
        p.setProperty("maxReplicaLag", "1s");
        p.setProperty("dataSource.sslmode", "require");
        p.setProperty("replicaMaximumPoolSize", "5");
        p.setProperty("replicaMinimumIdle", "2");
        try (PghaPoolDataSource ds = new PghaPoolDataSource(p)) {
            assertThat(ds.getJdbcUrl()).isEqualTo("jdbc:pgha://db1,db2/ehr");
            assertThat(ds.getUsername()).isEqualTo("ehr_app");
            assertThat(ds.getMaximumPoolSize()).isEqualTo(12);
            assertThat(ds.getConnectionTimeout()).isEqualTo(4000);
            assertThat(ds.getDataSourceProperties()).containsEntry("maxReplicaLag", "1s").containsEntry("sslmode", "require");
            assertThat(ds.getReplicaMaximumPoolSize()).isEqualTo(5);
            assertThat(ds.getReplicaMinimumIdle()).isEqualTo(2);
        }
    }

    @Test
    void anUnknownPropertyIsRefusedByName() {
        Properties p = new Properties();
        p.setProperty("maximumPoolSzie", "12");
        assertThatThrownBy(() -> new PghaPoolDataSource(p)).hasMessageContaining("maximumPoolSzie");
    }

    @Test
    void aReplicaSizeThatIsNotANumberIsRefusedByName() {
        Properties p = new Properties();
        p.setProperty("replicaMaximumPoolSize", "ten");
        assertThatThrownBy(() -> new PghaPoolDataSource(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("replicaMaximumPoolSize").hasMessageContaining("ten");
    }

    @Test
    void badReplicaSizesAreRefused() {
        PghaPoolDataSource ds = new PghaPoolDataSource();
        assertThatThrownBy(() -> ds.setReplicaMaximumPoolSize(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("replicaMaximumPoolSize");
        assertThatThrownBy(() -> ds.setReplicaMinimumIdle(-2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("replicaMinimumIdle");
    }

    @Test
    void aUrlThatIsNotPghaOrABadPghaValueFailsAtTheFirstConnectionNamingIt() {
        try (PghaPoolDataSource ds = new PghaPoolDataSource()) {
            ds.setJdbcUrl("jdbc:postgresql://db1/ehr");
            assertThatThrownBy(ds::getConnection).isInstanceOf(SQLException.class)
                    .hasMessageContaining("jdbc:pgha://")
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo(PghaSqlState.INVALID_CONFIGURATION));
        }
        try (PghaPoolDataSource ds = new PghaPoolDataSource()) {
            ds.setJdbcUrl("jdbc:pgha://db1/ehr?maxReplicaLag=soon");
            assertThatThrownBy(ds::getConnection).isInstanceOf(SQLException.class).hasMessageContaining("maxReplicaLag")
                    .hasMessageContaining("soon");
        }
    }

    @Test
    void perUserConnectionsAreNotSupportedAsWithHikariCp() {
        try (PghaPoolDataSource ds = new PghaPoolDataSource()) {
            assertThatThrownBy(() -> ds.getConnection("u", "p")).isInstanceOf(SQLFeatureNotSupportedException.class);
        }
    }

    @Test
    void itUnwrapsToWhatItIsButNotToHikariCpsPoolBean() throws SQLException {
        try (PghaPoolDataSource ds = new PghaPoolDataSource()) {
            assertThat(ds.isWrapperFor(javax.sql.DataSource.class)).isTrue();
            assertThat(ds.unwrap(PghaPoolDataSource.class)).isSameAs(ds);
            // Spring Boot takes a DataSource that unwraps to this for a HikariDataSource, and fails.
            assertThat(ds.isWrapperFor(com.zaxxer.hikari.HikariConfigMXBean.class)).isFalse();
            assertThatThrownBy(() -> ds.unwrap(com.zaxxer.hikari.HikariConfigMXBean.class)).isInstanceOf(SQLException.class);
        }
    }
}
