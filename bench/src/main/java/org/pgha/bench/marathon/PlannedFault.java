package org.pgha.bench.marathon;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * One fault of the schedule: its number, its kind and the seed of its own random choices (which
 * node, how long), so that a run repeated from the same seed injects the same faults.
 *
 * @param number 1 for the first fault
 * @param kind what is injected
 * @param seed the seed of the fault's own choices
 */
public record PlannedFault(int number, FaultKind kind, long seed) {

    /**
     * The schedule of a run: every kind once, in a random order, then kinds drawn at random;
     * fewer faults than kinds take the first ones of that order.
     *
     * @param seed the run's seed
     * @param count how many faults
     * @param kinds the kinds to draw from; at least one
     * @throws IllegalArgumentException if {@code count} is below 1 or {@code kinds} is empty
     */
    public static List<PlannedFault> schedule(long seed, int count, List<FaultKind> kinds) {
        if (count < 1) {
            throw new IllegalArgumentException("a marathon needs at least 1 fault, not " + count);
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("a marathon needs at least one kind of fault");
        }
        Random random = new Random(seed);
        List<FaultKind> order = new ArrayList<>(kinds);
        Collections.shuffle(order, random);
        List<PlannedFault> faults = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            FaultKind kind = i < order.size() ? order.get(i) : order.get(random.nextInt(order.size()));
            faults.add(new PlannedFault(i + 1, kind, random.nextLong()));
        }
        return List.copyOf(faults);
    }
}
