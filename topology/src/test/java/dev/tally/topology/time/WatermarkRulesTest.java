package dev.tally.topology.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.topology.route.SourceClock;
import dev.tally.topology.wire.Watermark;
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
  void aPartitionsEventTimeFollowsItsRecordsAndItIsQuietOnceDrainedAnIdleTimeoutAfterTheLast() {
    SourceClock clock = new SourceClock(5_000, 1_000, 1_000_000);
    assertEquals(UNKNOWN, clock.eventTime());
    clock.observe(500, 1_000_200); // last week's event: time follows the record, not the wall
    clock.observe(400, 1_000_300);
    assertEquals(500, clock.eventTime());
    assertEquals(-1, lookUntil(clock, 1_000_300, 1_005_299, 0));
    assertTrue(clock.drained());
    assertEquals(1_000_300, clock.drainedSince());
    assertEquals(5_000, quietAt(clock, 1_005_300, 0), "quiet since its last record");
    assertEquals(9_000, lookUntil(clock, 1_005_300, 1_009_300, 0));
    assertEquals(500, clock.eventTime(), "the event time stays; the next stage moves clocks on");
    clock.observe(600, 1_009_400);
    assertEquals(-1, quietAt(clock, 1_009_500, 0), "a record ends the quiet");
    assertTrue(clock.drained(), "drained still: it processed what it got");
  }

  @Test
  void quietIsAsOfTheAnswerThatFoundThePartitionDrained() {
    SourceClock clock = new SourceClock(5_000, 1_000, 0);
    clock.observe(500, 1_000);
    assertEquals(-1, lookUntil(clock, 1_000, 6_400, 1), "a record left to process");
    clock.look(6_500, 0, 5_900);
    assertEquals(-1, clock.quietFor(), "asked of the brokers 4.9 s after the last record");
    clock.look(6_700, 0, 6_000);
    assertEquals(5_000, clock.quietFor());
    clock.look(6_900, 0, 900);
    assertEquals(-1, clock.quietFor(), "an answer from before the last record");
    clock.look(7_100, -1, Long.MIN_VALUE);
    assertFalse(clock.drained(), "no answer");
    assertEquals(-1, clock.quietFor());
  }

  @Test
  void aPartitionWithRecordsLeftToProcessOrNotKnownToBeDrainedIsNeverQuiet() {
    SourceClock clock = new SourceClock(5_000, 1_000, 0);
    assertEquals(-1, lookUntil(clock, 0, 60_000, -1), "no answer from the brokers yet");
    assertFalse(clock.drained());
    assertEquals(-1, lookUntil(clock, 60_000, 120_000, 7));
    clock.observe(500, 120_000);
    assertEquals(-1, lookUntil(clock, 120_000, 180_000, 1_234));
    assertEquals(-1, lookUntil(clock, 180_000, 240_000, -1));
    assertEquals(120_000, quietAt(clock, 240_000, 0), "drained: quiet since its last record");
    assertTrue(clock.drained());
    assertEquals(240_000, clock.drainedSince());
  }

  @Test
  void aTaskWithoutRecordsIsQuietSinceItStarted() {
    SourceClock clock = new SourceClock(5_000, 1_000, 1_000);
    assertEquals(-1, lookUntil(clock, 1_000, 5_999, 0));
    assertEquals(5_000, quietAt(clock, 6_000, 0));
    assertEquals(UNKNOWN, clock.eventTime());
  }

  @Test
  void aStallStartsTheQuietTimeAgain() {
    // a stream thread blocked for 16 s fetched nothing meanwhile; without the brokers' offsets to
    // say otherwise, records may have piled up, and moving the clocks on by 16 s would make them late
    SourceClock clock = new SourceClock(5_000, 1_000, 0);
    clock.observe(60_000, 1_000);
    assertEquals(-1, lookUntil(clock, 1_000, 3_000, 0));
    assertEquals(-1, quietAt(clock, 19_000, 0), "16 s unseen are no quiet time");
    assertEquals(16_000, clock.takeStall());
    assertEquals(0, clock.takeStall(), "a stall is told once");
    assertEquals(-1, lookUntil(clock, 19_000, 23_999, 0));
    assertEquals(5_000, quietAt(clock, 24_000, 0), "quiet since the stall");

    SourceClock fresh = new SourceClock(5_000, 1_000, 0);
    assertEquals(-1, lookUntil(fresh, 0, 2_000, 0));
    assertEquals(-1, quietAt(fresh, 18_000, 0), "a task without records: the same");
    assertEquals(-1, lookUntil(fresh, 18_000, 22_999, 0));
    assertEquals(5_000, quietAt(fresh, 23_000, 0));
  }

  /**
   * Looks at the clock every 200 ms from {@code from} to {@code to}, each time with an answer asked
   * just then; the last quiet time.
   */
  private static long lookUntil(SourceClock clock, long from, long to, long unprocessed) {
    long quiet = -1;
    for (long now = from; now <= to; now = now == to ? to + 1 : Math.min(now + 200, to)) {
      quiet = quietAt(clock, now, unprocessed);
    }
    return quiet;
  }

  private static long quietAt(SourceClock clock, long now, long unprocessed) {
    clock.look(now, unprocessed, unprocessed < 0 ? UNKNOWN : now);
    return clock.quietFor();
  }

  @Test
  void theInputIsCaughtUpWhenEveryPartitionsLatestWatermarkSaysSo() {
    LowWatermark low = new LowWatermark(store(), 3, 0);
    low.advance(Watermark.at(0, 3, 1_000, true), 0);
    low.advance(Watermark.drained(1, 3, 500, 0, -1), 0); // drained: caught up by definition
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
    assertEquals(2, low.holder(), "partition 2 alone holds it");
    assertEquals(5_000, low.lowestWithout(2));
  }

  @Test
  void aDrainedPartitionIsAsFarAsTheHighestClockWhenItWasDrained() {
    // a backlog whose partitions end at different event times: partition 0's last event is five
    // minutes behind partition 1's; each drained partition is as far as the highest clock of its
    // as-of time, so nothing waits for partition 0's own clock to catch up
    LowWatermark low = new LowWatermark(store(), 2, 0);
    low.advance(Watermark.at(0, 2, 120_000), 1_000);
    low.advance(Watermark.at(1, 2, 300_000), 1_100);
    assertEquals(120_000, low.current());
    low.advance(Watermark.drained(0, 2, 120_000, 1_050, -1), 1_200);
    assertEquals(120_000, low.current(), "drained before partition 1's 300 s came here");
    low.advance(Watermark.at(1, 2, 420_000), 1_300);
    low.advance(Watermark.drained(0, 2, 120_000, 1_250, -1), 1_400);
    assertEquals(300_000, low.current(), "drained after partition 1's 300 s came");
    assertEquals(300_000, low.clockOf(0));
    low.advance(Watermark.drained(1, 2, 420_000, 1_350, -1), 1_500);
    low.advance(Watermark.drained(0, 2, 120_000, 1_450, -1), 1_600);
    assertEquals(420_000, low.current(), "both drained: everything up to the highest clock is in");
    // drained is for good: records that came later became visible after those of that time
    low.advance(Watermark.at(0, 2, 130_000), 1_700);
    assertEquals(420_000, low.clockOf(0));
    assertEquals(420_000, low.current());
  }

  @Test
  void whenEveryPartitionIsQuietTheClocksFollowTheWallClockFromTheHighest() {
    LowWatermark low = new LowWatermark(store(), 2, 0);
    low.advance(Watermark.at(0, 2, 100_000), 1_000);
    low.advance(Watermark.at(1, 2, 160_000), 1_000);
    low.advance(Watermark.drained(0, 2, 100_000, 1_500, 5_000), 2_000);
    assertEquals(160_000, low.current(), "partition 1 is not quiet yet: no wall clock");
    low.advance(Watermark.drained(1, 2, 160_000, 1_500, 5_000), 2_000);
    assertEquals(165_000, low.current());
    low.advance(Watermark.drained(0, 2, 100_000, 2_500, 8_000), 3_000);
    assertEquals(165_000, low.current(), "the shortest quiet time counts");
    low.advance(Watermark.drained(1, 2, 160_000, 2_500, 6_000), 3_000);
    assertEquals(166_000, low.current());
    low.advance(Watermark.at(1, 2, 161_000), 3_100); // a record: partition 1 is not quiet
    assertEquals(166_000, low.current(), "never goes back");
    low.advance(Watermark.drained(0, 2, 100_000, 3_000, 9_000), 3_200);
    assertEquals(166_000, low.current(), "not every partition is quiet");
  }

  @Test
  void partitionsThatNeverHadDataHoldBackOnlyAsFarAsTheOthersHadGotWhenTheyWereDrained() {
    LowWatermark low = new LowWatermark(store(), 2, 0);
    assertNull(low.advance(Watermark.drained(0, 2, UNKNOWN, 100, 5_000), 100));
    assertNull(low.advance(Watermark.drained(1, 2, UNKNOWN, 100, 5_000), 100),
        "no data anywhere: nothing closes");
    low.advance(Watermark.at(1, 2, 8_000), 1_000);
    assertEquals(UNKNOWN, low.current(), "partition 0 spoke before partition 1's records came");
    low.advance(Watermark.drained(0, 2, UNKNOWN, 900, 5_900), 1_100);
    assertEquals(UNKNOWN, low.current(), "asked of the brokers before they came");
    assertEquals(UNKNOWN, low.advance(Watermark.drained(0, 2, UNKNOWN, 1_000, 6_200), 1_200));
    assertEquals(8_000, low.current(), "nothing to process after partition 1's 8 s came");
    low.advance(Watermark.at(1, 2, 9_000), 1_300);
    assertEquals(8_000, low.current());
    low.advance(Watermark.drained(0, 2, UNKNOWN, 1_300, 6_600), 1_400);
    assertEquals(9_000, low.current());
    low.advance(Watermark.at(0, 2, 6_000), 1_500); // partition 0 got its first record: still 9 s
    low.advance(Watermark.at(1, 2, 20_000), 1_600);
    assertEquals(9_000, low.current(), "never goes back");
    low.advance(Watermark.drained(0, 2, 12_000, 1_550, -1), 1_700);
    assertEquals(12_000, low.current());
  }

  @Test
  void aBurstOnPartitionsThatHadNoDataClosesNothingBeforeEachOfThemHasSeenIt() {
    // a backlog of three minutes sent at 10 s (wall clock) to three partitions that never had data;
    // partition 2's task happens to process its records first
    LowWatermark low = new LowWatermark(store(), 3, 0);
    for (int source = 0; source < 3; source++) {
      low.advance(Watermark.drained(source, 3, UNKNOWN, 9_500, 9_000), 9_600);
    }
    low.advance(Watermark.at(2, 3, 180_000), 10_100);
    low.advance(Watermark.drained(0, 3, UNKNOWN, 9_500, 9_700), 10_200); // stale answers, again
    low.advance(Watermark.drained(1, 3, UNKNOWN, 9_500, 9_700), 10_200);
    assertEquals(UNKNOWN, low.current(), "partition 2's records closed windows of the others'");
    // the brokers' next answer shows the others' records: they get clocks
    low.advance(Watermark.at(0, 3, 60_000), 10_700);
    low.advance(Watermark.at(1, 3, 30_000), 10_800);
    assertEquals(30_000, low.current());
  }

  @Test
  void afterARestartADrainedPartitionCountsFromItsNextWord() {
    KeyValueStore<Integer, Long> store = store();
    LowWatermark first = new LowWatermark(store, 2, 0);
    first.advance(Watermark.drained(0, 2, UNKNOWN, 1_000, 5_000), 1_000);
    first.advance(Watermark.at(1, 2, 8_000), 1_100);
    first.advance(Watermark.drained(0, 2, UNKNOWN, 1_200, 5_200), 1_200);
    assertEquals(8_000, first.current());
    LowWatermark restarted = new LowWatermark(store, 2, 50_000);
    restarted.advance(Watermark.at(1, 2, 9_000), 50_100);
    restarted.advance(Watermark.drained(0, 2, UNKNOWN, 1_300, 5_000), 50_200); // from before
    assertEquals(8_000, restarted.current());
    restarted.advance(Watermark.drained(0, 2, UNKNOWN, 50_150, 5_000), 50_300);
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
    assertEquals(7, history.latest());
    history.add(0, 8); // a wall clock set back
    assertEquals(8, history.at(Long.MAX_VALUE));
  }

  @Test
  void aRestartedPartitionWithoutRecordsKeepsItsLastEventTime() {
    LowWatermark low = new LowWatermark(store(), 2, 0);
    low.advance(Watermark.at(0, 2, 10_000), 0);
    low.advance(Watermark.at(1, 2, 50_000), 0);
    assertEquals(10_000, low.current());
    // partition 0's task restarted and has had no record since; drained, and quiet
    low.advance(Watermark.drained(0, 2, UNKNOWN, 100, 3_000), 200);
    assertEquals(50_000, low.current(), "drained: as far as partition 1 had got");
    low.advance(Watermark.drained(1, 2, 50_000, 300, 4_000), 400);
    assertEquals(53_000, low.current(), "both quiet: the wall clock from the highest");
    assertNull(low.advance(Watermark.at(0, 2, 30_000), 500), "never goes back");
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
    restarted.advance(Watermark.drained(0, 2, UNKNOWN, 10, -1), 20);
    assertEquals(6_000, restarted.current(), "the event times survived too");
    restarted.advance(Watermark.at(1, 2, 8_000), 30);
    assertEquals(6_000, restarted.current());
    restarted.advance(Watermark.at(0, 2, 8_000), 40);
    assertEquals(8_000, restarted.current());
  }

  @Test
  void thePartitionThatAloneKeepsWindowsOpenIsToldAfterTheLimitAndWhenItLetsGo() {
    Windows windows = new Windows(60_000, 10_000);
    LowWatermark low = new LowWatermark(store(), 3, 0);
    low.advance(Watermark.at(0, 3, 100_000), 0);
    low.advance(Watermark.at(1, 3, 400_000), 0);
    low.advance(Watermark.at(2, 3, 105_000), 0);
    assertEquals(-1, HoldBack.holder(low, windows), "partition 2 would close nothing more alone");
    low.advance(Watermark.at(2, 3, 500_000), 0);
    assertEquals(0, HoldBack.holder(low, windows), "the others would close up to 390 s");

    HoldBack holdBack = new HoldBack(60_000);
    assertEquals(HoldBack.Change.NONE, holdBack.observe(1_000, HoldBack.holder(low, windows)));
    assertEquals(HoldBack.Change.NONE, holdBack.observe(61_000, 0), "a minute is not more");
    assertEquals(HoldBack.Change.HELD_LONG, holdBack.observe(61_001, 0));
    assertEquals(HoldBack.Change.NONE, holdBack.observe(90_000, 0), "told once");
    assertEquals(1_000, holdBack.sinceMs());
    low.advance(Watermark.drained(0, 3, 100_000, 10, -1), 20); // drained: as far as the highest
    assertEquals(1, HoldBack.holder(low, windows), "now partition 1 alone");
    assertEquals(HoldBack.Change.RELEASED, holdBack.observe(95_000, 1));
    assertEquals(0, holdBack.released());
    assertEquals(94_000, holdBack.releasedAfterMs());
    assertEquals(1, holdBack.heldBy());
    assertEquals(95_000, holdBack.sinceMs());
    assertEquals(HoldBack.Change.NONE, holdBack.observe(97_000, -1), "never told of: no release");
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
