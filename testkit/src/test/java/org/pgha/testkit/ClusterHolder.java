package org.pgha.testkit;

import java.nio.file.Path;

/** Run in a child JVM by {@link CleanupTest}: starts a cluster, says where, and waits to be killed. */
public final class ClusterHolder {

    private ClusterHolder() {
    }

    public static void main(String[] args) throws InterruptedException {
        LocalCluster cluster = LocalCluster.builder().standbys(1).baseDirectory(Path.of(args[0])).start();
        System.out.println("READY " + cluster.primary().dataDirectory().getParent().getParent());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
