package org.pgha.driver;

import org.pgha.testkit.LocalCluster;

/** DataSources on a test cluster. */
final class DataSources {

    private DataSources() {
    }

    /** The {@code jdbc:pgha:} URL of every node of the cluster, with extra parameters. */
    static String url(LocalCluster cluster, String parameters) {
        return "jdbc:pgha://" + cluster.hosts() + "/" + cluster.database() + (parameters.isEmpty() ? "" : "?" + parameters);
    }

    static PghaDataSource of(LocalCluster cluster, String parameters) {
        return withUrl(cluster, url(cluster, parameters));
    }

    /** A DataSource on {@code url} (through a fault proxy, say), with the cluster's credentials. */
    static PghaDataSource withUrl(LocalCluster cluster, String url) {
        PghaDataSource ds = new PghaDataSource();
        ds.setUrl(url);
        ds.setUser(cluster.user());
        ds.setPassword(cluster.password());
        return ds;
    }
}
