package dev.tally.topology.window;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.topology.TopologySettings;
import dev.tally.topology.internal.ByUser;
import dev.tally.topology.internal.BySeries;
import dev.tally.topology.internal.Partial;
import dev.tally.topology.internal.Routed;
import dev.tally.topology.internal.Watermark;
import java.time.Instant;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * The aggregating and merging stages commit at once when they close a window of a live stream, and
 * leave it to {@code commit.interval.ms} when they close a backlog's windows.
 */
class LiveCommitTest {

  private static final long MINUTE = 60_000;
  private static final long NOW = Instant.parse("2026-12-01T12:00:00Z").toEpochMilli();
  private final TopologySettings settings = new TopologySettings("events", "results",
      "dead-letters", new Windows(MINUTE, 10_000), 5_000, 1_000, 200, 1, 1);

  @Test
  void theRuleIsTheWatermarksLagBehindTheWallClock() {
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(NOW);
    LiveCommit.afterClosing(context, NOW - LiveCommit.LIVE_LAG_MS - 1);
    assertFalse(context.committed(), "a watermark more than the live lag behind is a backlog's");
    LiveCommit.afterClosing(context, NOW - LiveCommit.LIVE_LAG_MS);
    assertTrue(context.committed());
    context.resetCommit();
    LiveCommit.afterClosing(context, NOW + 500); // a producer's clock ahead of this machine's: live
    assertTrue(context.committed());
  }

  @Test
  void theAggregatingStageCommitsWhenItClosesALiveWindow() {
    MockProcessorContext<byte[], Routed> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(NOW);
    AggregateStore tallies = new AggregateStore(AggregateProcessor.TALLIES_STORE);
    tallies.open((key, value) -> {
    });
    context.addStateStore(tallies);
    context.addStateStore(clock(AggregateProcessor.WATERMARKS_STORE, context));
    AggregateProcessor aggregate = new AggregateProcessor(settings);
    aggregate.init(context);

    aggregate.process(watermark(NOW - 30 * MINUTE)); // a backlog: windows close, no commit yet
    assertEquals(1, context.forwarded().size(), "the stage's own watermark went on");
    assertFalse(context.committed());

    aggregate.process(watermark(NOW - 30 * MINUTE + 1)); // the same windows open: nothing closes
    aggregate.process(watermark(NOW - 2_000)); // caught up: the live windows close
    assertTrue(context.committed());
  }

  @Test
  void theMergingStageCommitsWhenItEmitsALiveWindowsFinals() {
    MockProcessorContext<MinuteKey, MinuteCount> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(NOW);
    KeyValueStore<Bytes, byte[]> partials = Stores.keyValueStoreBuilder(
        Stores.inMemoryKeyValueStore(MergeProcessor.PARTIALS_STORE), Serdes.Bytes(),
        Serdes.ByteArray()).withLoggingDisabled().build();
    partials.init(context.getStateStoreContext(), partials);
    context.addStateStore(partials);
    context.addStateStore(clock(MergeProcessor.WATERMARKS_STORE, context));
    MergeProcessor merge = new MergeProcessor(settings);
    merge.init(context);

    long backlog = (NOW - 30 * MINUTE) / MINUTE * MINUTE;
    merge.process(new Record<>(new byte[0], (BySeries) new Partial(0, "live", "rails-5xx", backlog,
        2, 1), NOW));
    merge.process(new Record<>(Watermark.KEY, (BySeries) Watermark.at(0, 1, backlog + 2 * MINUTE),
        NOW));
    assertEquals(1, context.forwarded().size(), "the backlog's final");
    assertFalse(context.committed());

    long live = (NOW - 2 * MINUTE) / MINUTE * MINUTE;
    merge.process(new Record<>(new byte[0], (BySeries) new Partial(0, "live", "rails-5xx", live,
        3, 2), NOW));
    merge.process(new Record<>(Watermark.KEY, (BySeries) Watermark.at(0, 1, NOW - 1_000), NOW));
    assertEquals(2, context.forwarded().size(), "the live window's final");
    assertTrue(context.committed());
  }

  private static Record<byte[], ByUser> watermark(long timestampMs) {
    return new Record<>(Watermark.KEY, Watermark.at(0, 1, timestampMs), timestampMs);
  }

  private static KeyValueStore<Integer, Long> clock(String name, MockProcessorContext<?, ?> context) {
    KeyValueStore<Integer, Long> store = Stores.keyValueStoreBuilder(
        Stores.inMemoryKeyValueStore(name), Serdes.Integer(), Serdes.Long())
        .withLoggingDisabled().build();
    store.init(context.getStateStoreContext(), store);
    return store;
  }
}
