package dev.tally.topology.window;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.topology.internal.Watermark;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** The clock rules: windows, one input partition's clock, and the low watermark over partitions. */
class WatermarkRulesTest {

  private static final long UNKNOWN = Long.MIN_VALUE;

  @Test
  void windowsCloseAtEndPlusGrace() {
    Windows windows = new Windows(60_000, 10_000);
    assertEquals(120_000, windows.startOf(179_999));
    assertEquals(180_000, windows.startOf(180_000));
    assertEquals(false, windows.isClosed(120_000, 189_999));
    assertEquals(true, windows.isClosed(120_000, 190_000));
    assertEquals(120_000, windows.firstOpenStart(189_999));
    assertEquals(180_000, windows.firstOpenStart(190_000));
    assertEquals(false, windows.isClosed(0, UNKNOWN));
  }

  @Test
  void aClockFollowsRecordsThenTheWallClockOnceIdle() {
    SourceClock clock = new SourceClock(5_000, 1_000, 1_000_000);
    assertEquals(UNKNOWN, clock.watermark(1_000_100, 0));
    clock.observe(500, 1_000_200); // last week's event: time follows the record, not the wall
    clock.observe(400, 1_000_300);
    assertEquals(500, lookUntil(clock, 1_000_300, 1_005_299, 0));
    assertEquals(500 + 5_000, clock.watermark(1_005_300, 0));
    assertEquals(500 + 9_000, lookUntil(clock, 1_005_300, 1_009_300, 0));
    assertEquals(-1, clock.idleFor(1_009_300, 0), "a task with a clock sends real watermarks");
  }

  @Test
  void aPartitionWithRecordsWaitingOrNotKnownToBeCaughtUpIsNeverIdle() {
    SourceClock clock = new SourceClock(5_000, 1_000, 0);
    assertEquals(-1, lookForIdle(clock, 0, 60_000, -1), "no fetch answered yet: maybe a backlog");
    assertEquals(-1, lookForIdle(clock, 60_000, 120_000, 7));
    clock.observe(500, 120_000);
    assertEquals(500, lookUntil(clock, 120_000, 180_000, 1_234));
    assertEquals(500, lookUntil(clock, 180_000, 240_000, -1));
    assertEquals(500, clock.watermark(240_000, 0), "caught up just now: not idle yet");
    assertEquals(500 + 125_000, lookUntil(clock, 240_000, 245_000, 0));
  }

  @Test
  void aTaskWithoutRecordsSaysHowLongItHasBeenIdle() {
    SourceClock clock = new SourceClock(5_000, 1_000, 1_000);
    assertEquals(-1, lookForIdle(clock, 1_000, 5_999, 0));
    assertEquals(5_000, clock.idleFor(6_000, 0));
    assertEquals(UNKNOWN, clock.watermark(6_000, 0));
  }

  @Test
  void aStallIsNotIdleness() {
    // a stream thread blocked for 16 s fetched nothing meanwhile: its lag says 0, but records may
    // have piled up, and moving the clock on by 16 s would make them late
    SourceClock clock = new SourceClock(5_000, 1_000, 0);
    clock.observe(60_000, 1_000);
    assertEquals(60_000, lookUntil(clock, 1_000, 3_000, 0));
    assertEquals(60_000, clock.watermark(19_000, 0), "16 s unseen are no idle time");
    assertEquals(16_000, clock.takeStall());
    assertEquals(0, clock.takeStall(), "a stall is told once");
    assertEquals(60_000, lookUntil(clock, 19_000, 23_999, 0));
    // seen idle for the idle timeout after the stall: the clock moves on from the last record
    assertFalse(clock.idle());
    assertEquals(60_000 + 23_000, clock.watermark(24_000, 0));
    assertTrue(clock.idle());

    SourceClock fresh = new SourceClock(5_000, 1_000, 0);
    assertEquals(-1, lookForIdle(fresh, 0, 2_000, 0));
    assertEquals(-1, fresh.idleFor(18_000, 0), "a task without records: the same");
    assertEquals(-1, lookForIdle(fresh, 18_000, 22_999, 0));
    assertEquals(23_000, fresh.idleFor(23_000, 0));
  }

  /** Looks at the clock every 200 ms from {@code from} to {@code to}; the last watermark. */
  private static long lookUntil(SourceClock clock, long from, long to, long waiting) {
    long watermark = UNKNOWN;
    for (long now = from; now <= to; now = now == to ? to + 1 : Math.min(now + 200, to)) {
      watermark = clock.watermark(now, waiting);
    }
    return watermark;
  }

  /** Asks a task's clock every 200 ms from {@code from} to {@code to}; the last idle time. */
  private static long lookForIdle(SourceClock clock, long from, long to, long waiting) {
    long idleFor = -1;
    for (long now = from; now <= to; now = now == to ? to + 1 : Math.min(now + 200, to)) {
      idleFor = clock.idleFor(now, waiting);
    }
    return idleFor;
  }

  @Test
  void theInputIsCaughtUpWhenEveryPartitionsLatestWatermarkSaysSo() {
    LowWatermark low = new LowWatermark(store(), 3, 0);
    low.advance(Watermark.at(0, 3, 1_000, true), 0);
    low.advance(Watermark.idle(1, 3, 500, 0), 0); // idle: caught up by definition
    assertFalse(low.caughtUp(), "partition 2 has not spoken");
    low.advance(Watermark.at(2, 3, 3_000, false), 0);
    assertFalse(low.caughtUp());
    assertNull(low.advance(Watermark.at(2, 3, 3_000, true), 0), "the same time: no advance");
    assertTrue(low.caughtUp());
    low.advance(Watermark.at(0, 3, 9_000, false), 0); // the latest watermark counts, not the best
    assertFalse(low.caughtUp());
    LowWatermark grown = new LowWatermark(store(), 1, 0);
    grown.advance(Watermark.at(0, 1, 1_000, true), 0);
    assertTrue(grown.caughtUp());
    grown.advance(Watermark.at(0, 2, 1_000, true), 0); // the topic grew: partition 1 has not spoken
    assertFalse(grown.caughtUp());
  }

  @Test
  void theLowWatermarkIsTheSlowestPartitionOnceAllHaveSpoken() {
    LowWatermark low = new LowWatermark(store(), 3, 0);
    assertNull(low.advance(Watermark.at(0, 3, 1_000), 0));
    assertNull(low.advance(Watermark.at(1, 3, 5_000), 0));
    assertEquals(UNKNOWN, low.current());
    assertEquals(UNKNOWN, low.advance(Watermark.at(2, 3, 3_000), 0));
    assertEquals(1_000, low.current());
    assertEquals(1_000, low.advance(Watermark.at(0, 3, 9_000), 0));
    assertEquals(3_000, low.current());
    assertNull(low.advance(Watermark.at(1, 3, 4_000), 0), "a watermark never goes back");
    assertEquals(3_000, low.current());
  }

  @Test
  void partitionsThatNeverHadDataHoldBackOnlyAsFarAsTheOthersHadGotWhenTheyLastSpoke() {
    LowWatermark low = new LowWatermark(store(), 2, 0);
    assertNull(low.advance(Watermark.idle(0, 2, 5_000, 100), 100));
    assertNull(low.advance(Watermark.idle(1, 2, 5_000, 100), 100), "no data anywhere: nothing closes");
    low.advance(Watermark.at(1, 2, 8_000), 1_000);
    assertEquals(UNKNOWN, low.current(), "partition 0 spoke before partition 1's records came");
    low.advance(Watermark.idle(0, 2, 5_900, 900), 1_100);
    assertEquals(UNKNOWN, low.current(), "asked of the brokers before they came");
    assertEquals(UNKNOWN, low.advance(Watermark.idle(0, 2, 6_200, 1_000), 1_200));
    assertEquals(8_000, low.current(), "nothing to process after partition 1's 8 s came");
    low.advance(Watermark.at(1, 2, 9_000), 1_300);
    assertEquals(8_000, low.current());
    low.advance(Watermark.idle(0, 2, 6_600, 1_300), 1_400);
    assertEquals(9_000, low.current());
    low.advance(Watermark.at(0, 2, 6_000), 1_500); // partition 0 got its first record: it counts
    low.advance(Watermark.at(1, 2, 20_000), 1_600);
    assertEquals(9_000, low.current(), "never goes back");
    low.advance(Watermark.at(0, 2, 12_000), 1_700);
    assertEquals(12_000, low.current());
  }

  @Test
  void aBurstOnIdlePartitionsClosesNothingBeforeEachOfThemHasSeenIt() {
    // a backlog of three minutes sent at 10 s (wall clock) to three partitions that never had data;
    // partition 2's task happens to process its records first
    LowWatermark low = new LowWatermark(store(), 3, 0);
    for (int source = 0; source < 3; source++) {
      low.advance(Watermark.idle(source, 3, 9_000, 9_500), 9_600);
    }
    low.advance(Watermark.at(2, 3, 180_000), 10_100);
    low.advance(Watermark.idle(0, 3, 9_700, 9_500), 10_200); // stale answers: said again
    low.advance(Watermark.idle(1, 3, 9_700, 9_500), 10_200);
    assertEquals(UNKNOWN, low.current(), "partition 2's records closed windows of the others'");
    // the brokers' next answer shows the others' records: they get clocks
    low.advance(Watermark.at(0, 3, 60_000), 10_700);
    low.advance(Watermark.at(1, 3, 30_000), 10_800);
    assertEquals(30_000, low.current());
  }

  @Test
  void afterARestartAPartitionWithoutDataHoldsBackUntilItSpeaksAgain() {
    KeyValueStore<Integer, Long> store = store();
    LowWatermark first = new LowWatermark(store, 2, 0);
    first.advance(Watermark.idle(0, 2, 5_000, 1_000), 1_000);
    first.advance(Watermark.at(1, 2, 8_000), 1_100);
    first.advance(Watermark.idle(0, 2, 5_200, 1_200), 1_200);
    assertEquals(8_000, first.current());
    LowWatermark restarted = new LowWatermark(store, 2, 50_000);
    restarted.advance(Watermark.at(1, 2, 9_000), 50_100);
    restarted.advance(Watermark.idle(0, 2, 5_000, 1_300), 50_200); // from before the restart
    assertEquals(8_000, restarted.current());
    restarted.advance(Watermark.idle(0, 2, 5_000, 50_150), 50_300);
    assertEquals(9_000, restarted.current());
  }

  @Test
  void theHistoryKeepsTheLastValueBeforeItsHorizon() {
    LowWatermark.History history = new LowWatermark.History();
    assertEquals(UNKNOWN, history.at(0));
    history.add(1_000, 5);
    history.add(2_000, 6);
    history.add(2_000 + LowWatermark.HISTORY_MS + 500, 7);
    assertEquals(UNKNOWN, history.at(999), "not kept");
    assertEquals(6, history.at(2_000 + LowWatermark.HISTORY_MS), "the last one before the horizon");
    assertEquals(7, history.at(Long.MAX_VALUE));
    history.add(0, 8); // a wall clock set back
    assertEquals(8, history.at(Long.MAX_VALUE));
  }

  @Test
  void aRestartedIdlePartitionMovesOnFromItsLastWatermark() {
    LowWatermark low = new LowWatermark(store(), 2, 0);
    low.advance(Watermark.at(0, 2, 10_000), 0);
    low.advance(Watermark.at(1, 2, 50_000), 0);
    assertEquals(10_000, low.current());
    // partition 0's task restarted and has had no record since: idle for 3 s, then 7 s
    low.advance(Watermark.idle(0, 2, 3_000, 0), 0);
    assertEquals(13_000, low.current());
    low.advance(Watermark.idle(0, 2, 7_000, 0), 0);
    assertEquals(17_000, low.current());
    assertNull(low.advance(Watermark.idle(0, 2, 6_000, 0), 0), "never goes back");
    low.advance(Watermark.at(0, 2, 30_000), 0); // a record again
    assertEquals(30_000, low.current());
  }

  @Test
  void aGrownTopicAddsPartitionsToWaitFor() {
    LowWatermark low = new LowWatermark(store(), 1, 0);
    low.advance(Watermark.at(0, 1, 5_000), 0);
    assertEquals(5_000, low.current());
    assertNull(low.advance(Watermark.at(0, 2, 9_000), 0), "partition 1 has not spoken yet");
    low.advance(Watermark.at(1, 2, 7_000), 0);
    assertEquals(7_000, low.current());
  }

  @Test
  void theLowWatermarkSurvivesARestart() {
    KeyValueStore<Integer, Long> store = store();
    LowWatermark first = new LowWatermark(store, 2, 0);
    first.advance(Watermark.at(0, 2, 5_000), 0);
    first.advance(Watermark.at(1, 2, 6_000), 0);
    LowWatermark restarted = new LowWatermark(store, 2, 0);
    assertEquals(5_000, restarted.current());
    restarted.advance(Watermark.idle(0, 2, 4_000, 0), 0);
    assertEquals(6_000, restarted.current(), "the last event time of partition 0 survived too");
    restarted.advance(Watermark.at(1, 2, 8_000), 0);
    assertEquals(8_000, restarted.current());
  }

  private static KeyValueStore<Integer, Long> store() {
    KeyValueStore<Integer, Long> store = Stores.keyValueStoreBuilder(
        Stores.inMemoryKeyValueStore("clock"), Serdes.Integer(), Serdes.Long())
        .withLoggingDisabled().build();
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    store.init(context.getStateStoreContext(), store);
    return store;
  }
}
