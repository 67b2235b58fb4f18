package org.pgha.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pgha.spring.app.ChartApplication;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** Liquibase, like Flyway, migrates through pgha on the primary. */
@LocalClusterTest(standbys = 1)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LiquibaseClusterTest {

    @Test
    void aLiquibaseChangeLogIsAppliedOnThePrimary(LocalCluster cluster) throws SQLException {
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(ChartApplication.class)
                .web(WebApplicationType.NONE).properties(
                        "spring.datasource.url=jdbc:pgha://" + cluster.hosts() + "/" + cluster.database(),
                        "spring.datasource.username=" + cluster.user(),
                        "spring.datasource.password=" + cluster.password(),
                        "spring.main.banner-mode=off",
                        "spring.flyway.enabled=false",
                        "spring.liquibase.change-log=classpath:db/changelog/ward.sql").run();
             Connection c = cluster.connect(cluster.primary()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM databasechangelog WHERE id = '1'),"
                     + " to_regclass('ward') IS NOT NULL")) {
            // A standby would have refused the DDL: applied at all means applied on the primary.
            rs.next();
            assertThat(rs.getInt(1)).as("the change set, recorded").isEqualTo(1);
            assertThat(rs.getBoolean(2)).as("the table it creates").isTrue();
            assertThat(app.isRunning()).isTrue();
        }
    }
}
