package org.pgha.driver.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.pgha.driver.ReadYourWritesScope;

/** Whose writes a connection's reads must see, by {@code readYourWritesScope}. */
class ReadYourWritesTest {

    private static ReadConsistency onAnotherThread(ReadYourWrites reads) {
        return CompletableFuture.supplyAsync(reads::consistency).join();
    }

    @Test
    void theConnectionScopeSeesOnlyItsOwnWritesOnAnyThread() {
        WriteMarks marks = WriteMarks.of(ReadYourWritesScope.CONNECTION);
        ReadYourWrites writer = new ReadYourWrites(true, marks);
        ReadYourWrites other = new ReadYourWrites(true, marks);
        writer.acknowledged(1_000);

        assertThat(writer.consistency().lastWriteAckNanos()).isEqualTo(1_000);
        assertThat(onAnotherThread(writer).lastWriteAckNanos()).as("its own write, from another thread").isEqualTo(1_000);
        assertThat(other.consistency()).isEqualTo(ReadConsistency.NONE);
    }

    @Test
    void theThreadScopeSeesTheWritesOfTheCallingThreadThroughAnyConnection() {
        WriteMarks marks = WriteMarks.of(ReadYourWritesScope.THREAD);
        ReadYourWrites writer = new ReadYourWrites(true, marks);
        ReadYourWrites next = new ReadYourWrites(true, marks);
        writer.acknowledged(1_000);

        assertThat(next.consistency().lastWriteAckNanos()).as("a connection borrowed later on the same thread")
                .isEqualTo(1_000);
        assertThat(onAnotherThread(new ReadYourWrites(true, marks))).as("another thread's connection")
                .isEqualTo(ReadConsistency.NONE);
        assertThat(onAnotherThread(writer).lastWriteAckNanos()).as("the writing connection itself, anywhere")
                .isEqualTo(1_000);
    }

    @Test
    void theDataSourceScopeSeesEveryWriteThroughTheDataSourceTheLatestFirst() {
        WriteMarks marks = WriteMarks.of(ReadYourWritesScope.DATA_SOURCE);
        ReadYourWrites first = new ReadYourWrites(true, marks);
        ReadYourWrites second = new ReadYourWrites(true, marks);
        first.acknowledged(2_000);
        CompletableFuture.runAsync(() -> second.acknowledged(1_500)).join();

        assertThat(onAnotherThread(new ReadYourWrites(true, marks)).lastWriteAckNanos())
                .as("the latest of both writes, not the last to be reported").isEqualTo(2_000);
        assertThat(second.consistency().lastWriteAckNanos()).isEqualTo(2_000);
        assertThat(new ReadYourWrites(true, WriteMarks.of(ReadYourWritesScope.DATA_SOURCE)).consistency())
                .as("another DataSource").isEqualTo(ReadConsistency.NONE);
    }

    @Test
    void withReadYourWritesOffNoScopeBindsAReadYetTheTokenStillCoversTheOwnWrites() {
        WriteMarks marks = WriteMarks.of(ReadYourWritesScope.DATA_SOURCE);
        ReadYourWrites writer = new ReadYourWrites(false, marks);
        writer.acknowledged(1_000);

        assertThat(writer.consistency()).isEqualTo(ReadConsistency.NONE);
        assertThat(writer.lastWriteAck()).as("what the consistency token covers").isEqualTo(1_000);
        assertThat(new ReadYourWrites(true, marks).consistency()).as("a write not shared").isEqualTo(ReadConsistency.NONE);
    }

    @Test
    void theLaterOfTwoReadingsHoldsAcrossTheClocksWrapAround() {
        assertThat(WriteMarks.later(Long.MAX_VALUE - 5, Long.MAX_VALUE + 10)).isEqualTo(Long.MAX_VALUE + 10);
        assertThat(WriteMarks.later(Long.MAX_VALUE + 10, Long.MAX_VALUE - 5)).isEqualTo(Long.MAX_VALUE + 10);
        assertThat(WriteMarks.later(Long.MIN_VALUE, -7)).isEqualTo(-7);
        assertThat(WriteMarks.later(-7, Long.MIN_VALUE)).isEqualTo(-7);
    }
}
