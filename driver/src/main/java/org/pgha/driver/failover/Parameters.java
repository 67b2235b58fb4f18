package org.pgha.driver.failover;

/**
 * A statement's parameters and pending batch as they were at one execution, for the
 * {@link Journal} to run it again.
 */
public interface Parameters {

    /** No parameters and no batch. */
    Parameters NONE = new Parameters() {
        @Override
        public int weight() {
            return 1;
        }

        @Override
        public long bytes() {
            return 16;
        }
    };

    /** Parameters that cannot be set again (a stream, an object of the lost connection). */
    Parameters NOT_REPEATABLE = new Parameters() {
        @Override
        public int weight() {
            return 1;
        }

        @Override
        public long bytes() {
            return 16;
        }
    };

    /** How many executions these stand for: a batch counts each of its entries. */
    int weight();

    /** Roughly what they hold on the heap, for {@code transactionReplayMaxBytes}. */
    long bytes();
}
