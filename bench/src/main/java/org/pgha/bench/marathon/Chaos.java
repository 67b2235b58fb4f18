package org.pgha.bench.marathon;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.pgha.testkit.FaultProxy;
import org.pgha.testkit.LocalCluster;
import org.pgha.testkit.Node;

/**
 * Injects one fault on the cluster and does what a failover manager such as Patroni would do
 * about it, then brings the failed node back as a standby and waits until the cluster is whole
 * again: a primary, its synchronous standby and an asynchronous one, all streaming and
 * replayed up to the primary. The application reaches every node through a {@link FaultProxy}
 * of its own; replication goes direct.
 *
 * <p>Only the synchronous standby is ever promoted, and only once it holds every commit the
 * primary acknowledged: a manager that promotes anything else loses writes whatever the client
 * does, which is not what the marathon measures.
 */
final class Chaos {

    /** Reads what a fenced primary holds that the current primary does not, before it is rewound. */
    @FunctionalInterface
    interface FencedNodeCheck {
        FencedWrites check(Node fenced);
    }

    /**
     * What an old primary held that the history going on does not.
     *
     * @param node the old primary
     * @param rows ledger rows committed there only (visible there, absent from the current primary)
     * @param acknowledged how many of them the application was told were committed
     */
    record FencedWrites(String node, long rows, long acknowledged) {
    }

    /**
     * What was done.
     *
     * @param detail the actions, in order, for the report
     * @param faultAt {@link System#nanoTime()} when the fault began
     * @param promotedAt when the (last) promotion began, or -1 for a fault without one
     * @param endedAt when the cluster was whole again
     * @param fenced what an old primary left running held only there, or null
     */
    record Injected(String detail, long faultAt, long promotedAt, long endedAt, FencedWrites fenced) {
    }

    private static final Duration WHOLE_TIMEOUT = Duration.ofSeconds(120);

    private final LocalCluster cluster;
    private final Map<Node, FaultProxy> proxies;
    private final Duration maxReplicaLag;
    private final FencedNodeCheck fencedCheck;

    Chaos(LocalCluster cluster, Map<Node, FaultProxy> proxies, Duration maxReplicaLag, FencedNodeCheck fencedCheck) {
        this.cluster = cluster;
        this.proxies = proxies;
        this.maxReplicaLag = maxReplicaLag;
        this.fencedCheck = fencedCheck;
    }

    Injected inject(PlannedFault fault) throws InterruptedException {
        Random random = new Random(fault.seed());
        List<String> actions = new ArrayList<>();
        long faultAt = System.nanoTime();
        long promotedAt = -1;
        FencedWrites fenced = null;
        Node old = cluster.primary();
        switch (fault.kind()) {
            case CRASH -> {
                Node sync = synchronousStandby();
                cluster.crash(old);
                actions.add(old.name() + " killed");
                managerDelay(random, actions);
                promotedAt = System.nanoTime();
                failOver(sync, actions);
                rejoin(old, actions);
            }
            case HANG -> {
                Node sync = synchronousStandby();
                cluster.freeze(old);
                actions.add(old.name() + " frozen");
                managerDelay(random, actions);
                promotedAt = System.nanoTime();
                failOver(sync, actions);
                sleep(millis(random, 500, 2_000), actions);
                cluster.crash(old);
                actions.add(old.name() + " killed");
                rejoin(old, actions);
            }
            case BLACK_HOLE -> {
                FaultProxy proxy = proxies.get(old);
                proxy.blackHole();
                actions.add(old.name() + "'s link black-holed");
                sleep(millis(random, 1_500, 3_000), actions);
                proxy.pass();
                actions.add("healed");
            }
            case RESETS -> {
                List<Node> standbys = cluster.standbys();
                Node standby = standbys.get(random.nextInt(standbys.size()));
                for (Node target : List.of(old, standby)) {
                    FaultProxy proxy = proxies.get(target);
                    for (int i = 0; i < 3; i++) {
                        proxy.cutExisting();
                        sleep(millis(random, 100, 600), null);
                    }
                    actions.add(target.name() + (target == old ? " (primary)" : " (standby)") + ": connections reset 3 times");
                }
            }
            case SWITCHOVER -> {
                Node sync = synchronousStandby();
                cluster.stop(old);
                actions.add(old.name() + " shut down");
                promotedAt = System.nanoTime();
                failOver(sync, actions);
                rejoin(old, actions);
            }
            case OLD_PRIMARY_RUNS -> {
                Node sync = synchronousStandby();
                promotedAt = System.nanoTime();
                failOver(sync, actions);
                actions.add(old.name() + " runs on");
                sleep(millis(random, 1_500, 3_000), actions);
                fenced = fencedCheck.check(old);
                rejoin(old, actions);
            }
            case PARTITION -> {
                Node sync = synchronousStandby();
                FaultProxy proxy = proxies.get(old);
                proxy.blackHole();
                actions.add(old.name() + " cut off");
                managerDelay(random, actions);
                promotedAt = System.nanoTime();
                failOver(sync, actions);
                sleep(millis(random, 300, 1_500), actions);
                proxy.pass();
                actions.add(old.name() + " reachable again");
                sleep(millis(random, 1_000, 2_500), actions);
                fenced = fencedCheck.check(old);
                rejoin(old, actions);
            }
            case REPLAY_PAUSED -> {
                List<Node> standbys = cluster.standbys();
                Node standby = standbys.get(random.nextInt(standbys.size()));
                cluster.pauseReplay(standby);
                actions.add(standby.name() + " replay paused");
                long lag = maxReplicaLag.toMillis();
                sleep(millis(random, 2 * lag, 3 * lag), actions);
                cluster.resumeReplay(standby);
                actions.add("resumed");
            }
            case REPLICAS_DOWN -> {
                List<Node> standbys = cluster.standbys();
                for (Node standby : standbys) {
                    if (random.nextBoolean()) {
                        cluster.crash(standby);
                        actions.add(standby.name() + " killed");
                    } else {
                        cluster.stop(standby);
                        actions.add(standby.name() + " shut down");
                    }
                }
                sleep(millis(random, 1_500, 3_000), actions);
                for (Node standby : standbys) {
                    cluster.start(standby);
                }
                actions.add("started");
            }
            case TOTAL_OUTAGE -> {
                List<Node> nodes = new ArrayList<>(cluster.nodes());
                Collections.shuffle(nodes, random);
                for (Node node : nodes) {
                    cluster.crash(node);
                }
                actions.add("every node killed");
                sleep(millis(random, 1_000, 3_000), actions);
                Collections.shuffle(nodes, random);
                for (Node node : nodes) {
                    cluster.start(node);
                }
                actions.add("started " + nodes.stream().map(Node::name).toList());
            }
            case DOUBLE_FAILOVER -> {
                Node sync = synchronousStandby();
                cluster.crash(old);
                actions.add(old.name() + " killed");
                managerDelay(random, actions);
                Node first = failOver(sync, actions);
                sleep(millis(random, 0, 300), actions);
                Node next = synchronousStandby();
                // The next promotion must lose nothing acknowledged: commits the new primary
                // acknowledged before its synchronous standby was attached are on their way.
                long position = cluster.lsn(first);
                awaitReceived(next, position);
                cluster.crash(first);
                actions.add(first.name() + " killed");
                managerDelay(random, actions);
                promotedAt = System.nanoTime();
                failOver(next, actions);
                rejoin(old, actions);
                rejoin(first, actions);
            }
            default -> throw new IllegalStateException("no injection for " + fault.kind());
        }
        awaitWhole();
        return new Injected(String.join(", ", actions), faultAt, promotedAt, System.nanoTime(), fenced);
    }

    private Node synchronousStandby() {
        return cluster.synchronousStandby()
                .orElseThrow(() -> new IllegalStateException(cluster + " has no synchronous standby to promote"));
    }

    /** What {@link LocalCluster#failOver} does, timing the promotion apart from the re-pointing. */
    private Node failOver(Node standby, List<String> actions) {
        Node old = cluster.primary();
        long started = System.nanoTime();
        cluster.promote(standby);
        long promoted = System.nanoTime();
        for (Node node : cluster.nodes()) {
            if (node != standby && node != old && cluster.isRunning(node)) {
                cluster.follow(node, standby);
            }
        }
        actions.add(String.format("%s promoted (takes writes after %d ms, others follow after %d ms)", standby.name(),
                (promoted - started) / 1_000_000, (System.nanoTime() - promoted) / 1_000_000));
        return standby;
    }

    private void rejoin(Node node, List<String> actions) {
        cluster.rejoin(node);
        actions.add(node.name() + " rejoined");
    }

    private void awaitReceived(Node standby, long position) throws InterruptedException {
        long deadline = System.nanoTime() + WHOLE_TIMEOUT.toNanos();
        while (cluster.receivedLsn(standby) < position) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(standby + " did not receive the primary's WAL within " + WHOLE_TIMEOUT);
            }
            Thread.sleep(5);
        }
    }

    /**
     * Waits until every node runs, the primary has a synchronous standby, and every standby
     * replayed all. The testkit's read-outs connect with a short timeout; on a starved machine
     * one may fail, and is tried again until the deadline.
     */
    private void awaitWhole() throws InterruptedException {
        long deadline = System.nanoTime() + WHOLE_TIMEOUT.toNanos();
        while (true) {
            try {
                Node sync = cluster.synchronousStandby().orElse(null);
                boolean whole = sync != null && cluster.nodes().stream().allMatch(cluster::isRunning)
                        && cluster.syncState(sync).filter("sync"::equals).isPresent()
                        && cluster.standbys().stream().allMatch(s -> cluster.syncState(s).isPresent());
                if (whole) {
                    cluster.awaitReplication(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                    return;
                }
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(cluster + " is not whole again within " + WHOLE_TIMEOUT);
            }
            Thread.sleep(20);
        }
    }

    private static void managerDelay(Random random, List<String> actions) throws InterruptedException {
        sleep(millis(random, 300, 1_200), actions);
    }

    private static long millis(Random random, long from, long to) {
        return from + (long) (random.nextDouble() * (to - from));
    }

    private static void sleep(long millis, List<String> actions) throws InterruptedException {
        Thread.sleep(millis);
        if (actions != null) {
            actions.add(String.format("%.1f s", millis / 1000.0));
        }
    }
}
