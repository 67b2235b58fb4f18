package org.pgha.samples.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.LocalClusterTest;

@LocalClusterTest(standbys = 1)
class PlainJdbcSampleTest {

    @Test
    void writesOnThePrimaryAndReadsItsOwnWriteOnAReplicaOrThePrimary(LocalCluster cluster) throws SQLException {
        String url = "jdbc:pgha://" + cluster.hosts() + "/" + cluster.database() + "?maxReplicaLag=1s";
        assertThat(PlainJdbcSample.withDriverManager(url, cluster.user(), cluster.password())).isEqualTo("primary");
        assertThat(PlainJdbcSample.run(url, cluster.user(), cluster.password())).startsWith("1 notes, read on a ");
        assertThat(PlainJdbcSample.run(url, cluster.user(), cluster.password())).startsWith("2 notes, read on a ");
    }
}
