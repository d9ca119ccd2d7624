package dev.tally.topology.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.topology.TopologySettings;
import dev.tally.topology.aggregate.AggregateProcessor;
import dev.tally.topology.compat.CommitHook;
import dev.tally.topology.merge.MergeProcessor;
import dev.tally.topology.time.ClockBoard;
import dev.tally.topology.time.Windows;
import dev.tally.topology.wire.BySeries;
import dev.tally.topology.wire.ByUser;
import dev.tally.topology.wire.EventBatch;
import dev.tally.topology.wire.Partial;
import dev.tally.topology.wire.Routed;
import dev.tally.topology.wire.StoreKeys;
import dev.tally.topology.wire.Watermark;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * The aggregating and merging stages commit at once when they close a window of a live stream, or
 * once every upstream partition has caught up, and leave it to {@code commit.interval.ms} when they
 * close a backlog's windows.
 */
class LiveCommitTest {

  private static final long MINUTE = 60_000;
  private static final long NOW = Instant.parse("2026-12-01T12:00:00Z").toEpochMilli();
  private final TopologySettings settings = new TopologySettings("events", "results",
      "dead-letters", "users", "", new Windows(MINUTE, 10_000), 5_000, 1_000, 200, 1, 1);
  private final CommitPacer pacer = new CommitPacer(() -> NOW);
  private final CommitPacers pacers = new CommitPacers(() -> NOW);

  @Test
  void theRuleIsTheWatermarksLagBehindTheWallClockOrACaughtUpInput() {
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(NOW);
    assertFalse(LiveCommit.due(context, pacer, NOW - LiveCommit.LIVE_LAG_MS - 1, false),
        "a watermark more than the live lag behind is a backlog's");
    assertTrue(LiveCommit.due(context, pacer, NOW - LiveCommit.LIVE_LAG_MS, false));
    // a producer's clock ahead of this machine's: live
    assertTrue(LiveCommit.due(context, pacer, NOW + 500, false));
    assertTrue(LiveCommit.due(context, pacer, NOW - 30 * MINUTE, true), "the end of a backlog");
  }

  @Test
  void theAggregatingStageCommitsABacklogsLastWindowsOnceItsInputCaughtUp() {
    MockProcessorContext<byte[], Routed> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(NOW);
    AggregateProcessor aggregate = aggregate(context);

    aggregate.process(watermark(NOW - 30 * MINUTE, false)); // a backlog: windows close, no commit
    aggregate.process(watermark(NOW - 30 * MINUTE + 1, false));
    assertFalse(context.committed());
    assertEquals(List.of(false, false), caughtUp(context), "a watermark per advance");

    aggregate.process(watermark(NOW - 30 * MINUTE + 1, true)); // the last record was routed
    assertTrue(context.committed());
    assertEquals(List.of(false, false, true), caughtUp(context), "the next stage learns it too");

    context.resetCommit();
    aggregate.process(watermark(NOW - 28 * MINUTE, true)); // a closing while caught up
    assertTrue(context.committed());
    context.resetCommit();
    aggregate.process(watermark(NOW - 28 * MINUTE + 1, true)); // nothing closed since
    assertFalse(context.committed());
  }

  @Test
  void liveUpdatesCommitAtOnceOnlyOnceTheInputCaughtUp() {
    MockProcessorContext<byte[], Routed> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(NOW);
    AggregateProcessor aggregate = aggregate(context);
    long backlog = NOW - 30 * MINUTE;
    aggregate.process(watermark(backlog - MINUTE, false));
    aggregate.process(event(backlog));
    context.resetForwards();

    liveUpdate(context);
    assertEquals(1, context.forwarded().size(), "the open window's live update");
    assertFalse(context.committed(), "a backlog's live updates wait for the interval");

    aggregate.process(watermark(backlog - MINUTE, true));
    aggregate.process(event(backlog));
    liveUpdate(context);
    assertTrue(context.committed());
  }

  private static void liveUpdate(MockProcessorContext<byte[], Routed> context) {
    context.scheduledPunctuators().get(0).getPunctuator().punctuate(NOW);
  }

  private static Record<byte[], ByUser> event(long timestampMs) {
    EventBatch.Builder batch = new EventBatch.Builder(0);
    batch.add(timestampMs * 1_000_000L, 7, StoreKeys.series("live", "rails-5xx"),
        "testusername1".getBytes(StandardCharsets.UTF_8));
    return new Record<>(Watermark.KEY, batch.build(0), timestampMs);
  }

  @Test
  void theMergingStageCommitsABacklogsLastFinalsOnceItsInputCaughtUp() {
    MockProcessorContext<SpecificRecord, SpecificRecord> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(NOW);
    MergeProcessor merge = merge(context);

    long backlog = (NOW - 30 * MINUTE) / MINUTE * MINUTE;
    merge.process(partial(backlog, 2, 1));
    merge.process(seriesWatermark(backlog + 2 * MINUTE, false));
    assertEquals(1, context.forwarded().size(), "the backlog's final");
    assertFalse(context.committed());
    merge.process(seriesWatermark(backlog + 2 * MINUTE, true));
    assertTrue(context.committed());
  }

  @Test
  void theAggregatingStageCommitsWhenItClosesALiveWindow() {
    MockProcessorContext<byte[], Routed> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(NOW);
    AggregateProcessor aggregate = aggregate(context);

    aggregate.process(watermark(NOW - 30 * MINUTE)); // a backlog: windows close, no commit yet
    assertEquals(1, context.forwarded().size(), "the stage's own watermark went on");
    assertFalse(context.committed());

    aggregate.process(watermark(NOW - 30 * MINUTE + 1)); // the same windows open: nothing closes
    aggregate.process(watermark(NOW - 2_000)); // caught up: the live windows close
    assertTrue(context.committed());
  }

  @Test
  void theMergingStageCommitsWhenItEmitsALiveWindowsFinals() {
    MockProcessorContext<SpecificRecord, SpecificRecord> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(NOW);
    MergeProcessor merge = merge(context);

    long backlog = (NOW - 30 * MINUTE) / MINUTE * MINUTE;
    merge.process(partial(backlog, 2, 1));
    merge.process(seriesWatermark(backlog + 2 * MINUTE, false));
    assertEquals(1, context.forwarded().size(), "the backlog's final");
    assertFalse(context.committed());

    long live = (NOW - 2 * MINUTE) / MINUTE * MINUTE;
    merge.process(partial(live, 3, 2));
    merge.process(seriesWatermark(NOW - 1_000, false));
    assertEquals(2, context.forwarded().size(), "the live window's final");
    assertTrue(context.committed());
  }

  private AggregateProcessor aggregate(MockProcessorContext<byte[], Routed> context) {
    KeyValueStore<Bytes, byte[]> tallies = Stores.keyValueStoreBuilder(
        Stores.inMemoryKeyValueStore(AggregateProcessor.TALLIES_STORE), Serdes.Bytes(),
        Serdes.ByteArray()).withLoggingDisabled().build();
    tallies.init(context.getStateStoreContext(), tallies);
    context.addStateStore(tallies);
    context.addStateStore(clock(AggregateProcessor.WATERMARKS_STORE, context));
    context.addStateStore(hook(AggregateProcessor.COMMIT_HOOK_STORE, context));
    AggregateProcessor aggregate = new AggregateProcessor(settings, new ClockBoard(), pacers);
    aggregate.init(context);
    return aggregate;
  }

  private MergeProcessor merge(MockProcessorContext<SpecificRecord, SpecificRecord> context) {
    KeyValueStore<Bytes, byte[]> partials = Stores.keyValueStoreBuilder(
        Stores.inMemoryKeyValueStore(MergeProcessor.PARTIALS_STORE), Serdes.Bytes(),
        Serdes.ByteArray()).withLoggingDisabled().build();
    partials.init(context.getStateStoreContext(), partials);
    context.addStateStore(partials);
    context.addStateStore(clock(MergeProcessor.WATERMARKS_STORE, context));
    context.addStateStore(hook(MergeProcessor.COMMIT_HOOK_STORE, context));
    MergeProcessor merge = new MergeProcessor(settings, pacers);
    merge.init(context);
    return merge;
  }

  /** What each watermark the aggregating stage forwarded said of its input. */
  private static List<Boolean> caughtUp(MockProcessorContext<byte[], Routed> context) {
    return context.forwarded().stream().map(f -> f.record().value())
        .filter(Watermark.class::isInstance).map(w -> ((Watermark) w).caughtUp()).toList();
  }

  private static Record<byte[], BySeries> partial(long window, long count, long unique) {
    return new Record<>(new byte[0], new Partial(0, "live", "rails-5xx", window, count, unique), NOW);
  }

  private static Record<byte[], BySeries> seriesWatermark(long timestampMs, boolean caughtUp) {
    return new Record<>(Watermark.KEY, Watermark.at(0, 1, timestampMs, caughtUp), NOW);
  }

  private static Record<byte[], ByUser> watermark(long timestampMs) {
    return watermark(timestampMs, false);
  }

  private static Record<byte[], ByUser> watermark(long timestampMs, boolean caughtUp) {
    return new Record<>(Watermark.KEY, Watermark.at(0, 1, timestampMs, caughtUp), timestampMs);
  }

  private static CommitHook hook(String name, MockProcessorContext<?, ?> context) {
    CommitHook hook = CommitHook.builder(name).build();
    hook.init(context.getStateStoreContext(), hook);
    return hook;
  }

  private static KeyValueStore<Integer, Long> clock(String name, MockProcessorContext<?, ?> context) {
    KeyValueStore<Integer, Long> store = Stores.keyValueStoreBuilder(
        Stores.inMemoryKeyValueStore(name), Serdes.Integer(), Serdes.Long())
        .withLoggingDisabled().build();
    store.init(context.getStateStoreContext(), store);
    return store;
  }
}
