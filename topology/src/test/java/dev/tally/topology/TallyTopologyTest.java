package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.schema.MinuteUsers;
import dev.tally.schema.RangeCount;
import dev.tally.schema.RangeKey;
import dev.tally.topology.time.InputState;
import dev.tally.topology.time.Windows;
import dev.tally.topology.wire.InputPack;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The topology's logic, driven record by record with a mock wall clock. */
class TallyTopologyTest {

  private static final long MINUTE = 60_000;
  /** 2016-11-07T08:32:00Z, the minute of the worked example. */
  private static final long W = 1478507520000L;
  private static final Instant WALL = Instant.ofEpochMilli(W + 5_000);

  private static final String WORKED_EXAMPLE = """
      event_type=rails-5xx,product=live value=testusername1 1478507534415525888
      event_type=stuck_in_queue,product=live value=testusername2 1478507534415525888
      event_type=browser_error,product=automate value=testusername3 1478507534415525888
      event_type=browser_error,product=automate value=testusername4 1478507534415525888
      event_type=rails-5xx,product=live value=testusername1 1478507534415525890
      """;

  private final TopologySettings settings = new TopologySettings("events", "results", "dead-letters", "users", "ranges",
      new Windows(MINUTE, 10_000), 5_000, 1_000, 200, 1, 1);
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> events;
  private TestOutputTopic<MinuteKey, MinuteCount> results;
  private TestOutputTopic<byte[], byte[]> deadLetters;

  @BeforeEach
  void start() {
    start(TallyApp.topology(settings));
  }

  private void start(Topology topology) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tally-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver = new TopologyTestDriver(topology, props, WALL);
    events = driver.createInputTopic("events", new ByteArraySerializer(), new ByteArraySerializer(),
        WALL, Duration.ZERO);
    results = driver.createOutputTopic("results", ResultSerdes.minuteKey().deserializer(),
        ResultSerdes.minuteCount().deserializer());
    deadLetters = driver.createOutputTopic("dead-letters", new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  @Test
  void workedExampleGivesOneFinalResultPerSeries() {
    pipe(WORKED_EXAMPLE);
    closeWithEventAt(W + MINUTE + 10_000);

    Map<String, MinuteCount> finals = finals();
    assertEquals(3, finals.size(), finals.toString());
    assertCounts(finals.get("live/rails-5xx@" + W), 2, 1);
    assertCounts(finals.get("live/stuck_in_queue@" + W), 1, 1);
    assertCounts(finals.get("automate/browser_error@" + W), 2, 2);
    MinuteCount rails = finals.get("live/rails-5xx@" + W);
    assertEquals(Instant.ofEpochMilli(W), rails.getWindowStart());
    assertEquals(3.0, metric(TallyMetrics.WINDOWS_FINALIZED, null));
    assertEquals(Instant.ofEpochMilli(W + MINUTE), rails.getWindowEnd());
  }

  @Test
  void aClosedWindowsUsersGoToTheUsersTopicAsHashes() {
    // one aggregating partition here (the test driver has one partition per topic); the
    // integration test checks several: disjoint, and together the window's unique users
    TestOutputTopic<MinuteKey, MinuteUsers> users = driver.createOutputTopic("users",
        ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteUsers().deserializer());
    pipe(WORKED_EXAMPLE);
    for (int i = 0; i < 50; i++) {
      pipe(line("live", "rails-5xx", "user" + i, W + i));
      pipe(line("live", "rails-5xx", "user" + i, W + 100 + i)); // each user twice
    }
    assertTrue(users.isEmpty(), "users before the window closed");
    closeWithEventAt(W + MINUTE + 10_000);

    Map<String, List<Long>> hashes = new HashMap<>();
    Map<String, Set<Integer>> partitions = new HashMap<>();
    for (KeyValue<MinuteKey, MinuteUsers> record : users.readKeyValuesToList()) {
      MinuteUsers value = record.value;
      String series = value.getProduct() + "/" + value.getEventType() + "@" + value.getWindowStart().toEpochMilli();
      assertEquals(series, record.key.getProduct() + "/" + record.key.getEventType() + "@"
          + record.key.getWindowStart().toEpochMilli(), "key and value name one series and window");
      assertEquals(value.getWindowStart().plusMillis(MINUTE), value.getWindowEnd());
      assertTrue(partitions.computeIfAbsent(series, s -> new HashSet<>()).add(value.getPartition()),
          "one record per aggregating partition: " + series);
      hashes.computeIfAbsent(series, s -> new ArrayList<>()).addAll(value.getUserHashes());
    }
    Map<String, List<Long>> expected = new HashMap<>();
    expected.put("live/rails-5xx@" + W, new ArrayList<>());
    expected.get("live/rails-5xx@" + W).add(xxh3("testusername1"));
    for (int i = 0; i < 50; i++) {
      expected.get("live/rails-5xx@" + W).add(xxh3("user" + i));
    }
    expected.put("live/stuck_in_queue@" + W, List.of(xxh3("testusername2")));
    expected.put("automate/browser_error@" + W, List.of(xxh3("testusername3"), xxh3("testusername4")));
    assertEquals(expected.keySet(), hashes.keySet());
    expected.forEach((series, want) -> {
      List<Long> got = hashes.get(series);
      // disjoint across partitions, and together the window's distinct users
      assertEquals(got.size(), Set.copyOf(got).size(), series + ": a user in two partitions");
      assertEquals(Set.copyOf(want), Set.copyOf(got), series);
    });
    assertEquals(51, finals().get("live/rails-5xx@" + W).getUniqueUsers());
  }

  @Test
  void withoutUsersAndRangesTopicsTheTopologyHasNeitherSinkAndCountsAllTheSame() {
    driver.close();
    Topology topology = TallyApp.topology(new TopologySettings("events", "results", "dead-letters", "", "",
        new Windows(MINUTE, 10_000), 5_000, 1_000, 200, 1, 1));
    assertFalse(topology.describe().toString().contains("users"), topology.describe().toString());
    assertFalse(topology.describe().toString().contains("ranges"), topology.describe().toString());
    start(topology);
    pipe(WORKED_EXAMPLE);
    closeWithEventAt(W + MINUTE + 10_000);
    Map<String, MinuteCount> finals = finals();
    assertCounts(finals.get("live/rails-5xx@" + W), 2, 1);
    assertCounts(finals.get("automate/browser_error@" + W), 2, 2);
  }

  /**
   * Distinct users per UTC hour and day, each once all of its windows are final: exact up to 1,024
   * users (users repeat across minutes and hours), an estimate within 2% past that.
   */
  @Test
  void eachHourAndDayGetsItsDistinctUsersOnceAllItsWindowsAreFinal() {
    TestOutputTopic<RangeKey, RangeCount> ranges = driver.createOutputTopic("ranges",
        ResultSerdes.rangeKey().deserializer(), ResultSerdes.rangeCount().deserializer());
    long hour = Math.floorDiv(W, 3_600_000L) * 3_600_000L;
    long day = Math.floorDiv(W, 86_400_000L) * 86_400_000L;
    assertTrue(hour + 2 * 3_600_000L <= day + 86_400_000L, "both hours in one day");
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 30; i++) { // users 0-29 in the first hour, one a minute, each twice
      lines.append(line("live", "rails-5xx", "user" + i, hour + i * MINUTE)).append('\n');
      lines.append(line("live", "rails-5xx", "user" + i, hour + 3_000_000L + i)).append('\n');
    }
    for (int i = 0; i < 3_000; i++) { // past the exact limit: an estimate
      lines.append(line("automate", "browser_error", "many" + i, hour + (i % 60) * MINUTE))
          .append('\n');
    }
    pipe(lines.toString());
    closeWithEventAt(hour + 3_600_000L + 9_999); // the hour's last window is still open
    assertTrue(ranges.isEmpty(), "no range before its last window is final");
    lines.setLength(0);
    for (int i = 20; i < 60; i++) { // users 20-59 in the second: 40 there, 60 over the day
      lines.append(line("live", "rails-5xx", "user" + i, hour + 3_600_000L + i * 1_000)).append('\n');
    }
    pipe(lines.toString());
    Map<String, RangeCount> first = rangeCounts(ranges);
    assertEquals(Set.of("live/rails-5xx/1h@" + hour, "automate/browser_error/1h@" + hour),
        first.keySet(), "the first hour only");
    assertEquals(30, first.get("live/rails-5xx/1h@" + hour).getUniqueUsers());
    assertTrue(first.get("live/rails-5xx/1h@" + hour).getExact());
    RangeCount many = first.get("automate/browser_error/1h@" + hour);
    assertFalse(many.getExact(), "3,000 users: an estimate");
    assertTrue(Math.abs(many.getUniqueUsers() - 3_000) <= 60, "within 2%: " + many);
    assertEquals(Instant.ofEpochMilli(hour + 3_600_000L), many.getRangeEnd());

    closeWithEventAt(day + 86_400_000L + 10_000);
    Map<String, RangeCount> rest = rangeCounts(ranges);
    assertEquals(40, rest.get("live/rails-5xx/1h@" + (hour + 3_600_000L)).getUniqueUsers());
    assertEquals(60, rest.get("live/rails-5xx/1d@" + day).getUniqueUsers());
    assertEquals(Instant.ofEpochMilli(day + 86_400_000L),
        rest.get("live/rails-5xx/1d@" + day).getRangeEnd());
    assertTrue(Math.abs(rest.get("automate/browser_error/1d@" + day).getUniqueUsers() - 3_000)
        <= 60, "within 2%: " + rest);
    assertEquals(3, rest.size(), "one record per series and range: " + rest.keySet());
  }

  /** Ranges so far, by "product/event_type/range@start", the clock's aside; each at most once. */
  private static Map<String, RangeCount> rangeCounts(TestOutputTopic<RangeKey, RangeCount> topic) {
    Map<String, RangeCount> ranges = new HashMap<>();
    for (KeyValue<RangeKey, RangeCount> record : topic.readKeyValuesToList()) {
      RangeCount value = record.value;
      String key = value.getProduct() + "/" + value.getEventType() + "/" + value.getRange() + "@"
          + value.getRangeStart().toEpochMilli();
      assertEquals(key, record.key.getProduct() + "/" + record.key.getEventType() + "/"
          + record.key.getRange() + "@" + record.key.getRangeStart().toEpochMilli());
      if (!value.getProduct().equals("clock")) {
        assertEquals(null, ranges.put(key, value), "twice: " + key);
      }
    }
    return ranges;
  }

  /** The users topic's hash, computed here independently of Tally's arena walk. */
  private static long xxh3(String username) {
    return com.dynatrace.hash4j.hashing.Hashing.xxh3_64().hashBytesToLong(
        username.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void aWindowStaysOpenUntilEndPlusGrace() {
    pipe(WORKED_EXAMPLE);
    closeWithEventAt(W + MINUTE + 9_999);
    assertTrue(finals().isEmpty(), "closed before end + grace");
    closeWithEventAt(W + MINUTE + 10_000);
    assertEquals(3, finals().size());
  }

  @Test
  void windowBoundaryIsExclusiveAtTheEnd() {
    pipe(line("live", "rails-5xx", "u1", W + 59_999));
    pipe(lineNs("live", "rails-5xx", "u2", (W + 59_999) * 1_000_000L + 999_999));
    pipe(line("live", "rails-5xx", "u3", W + MINUTE));
    closeWithEventAt(W + 2 * MINUTE + 10_000);

    Map<String, MinuteCount> finals = finals();
    assertCounts(finals.get("live/rails-5xx@" + W), 2, 2);
    assertCounts(finals.get("live/rails-5xx@" + (W + MINUTE)), 1, 1);
  }

  @Test
  void theSameUserTwiceCountsTwoEventsAndOneUser() {
    pipe(line("live", "rails-5xx", "u1", W + 1));
    pipe(line("live", "rails-5xx", "u1", W + 1));
    pipe(line("live", "rails-5xx", "u1", W + 2));
    closeWithEventAt(W + MINUTE + 10_000);
    assertCounts(finals().get("live/rails-5xx@" + W), 3, 1);
  }

  @Test
  void eventsWaitingInTheShuffleBatchReachTheirWindowBeforeTheWatermarkThatClosesIt() {
    // one record: the first event is still in the route stage's batch when the second one's
    // watermark closes its window
    pipe(line("live", "rails-5xx", "u1", W + 1_000) + "\n"
        + line("clock", "tick", "clock", W + MINUTE + 10_000));
    assertCounts(finals().get("live/rails-5xx@" + W), 1, 1);
    assertTrue(deadLetters.isEmpty());
  }

  @Test
  void aRecordOfMoreEventsThanOneBatchHoldsIsCountedExactly() {
    StringBuilder lines = new StringBuilder();
    int events = 5_000; // about 5 batches' worth with these names
    for (int i = 0; i < events; i++) {
      lines.append(line("live", "rails-5xx", "user-" + "x".repeat(40) + (i % 1_234), W + i))
          .append('\n');
    }
    pipe(lines.toString());
    closeWithEventAt(W + MINUTE + 10_000);
    assertCounts(finals().get("live/rails-5xx@" + W), events, 1_234);
  }

  @Test
  void outOfOrderEventsWithinGraceAreCounted() {
    pipe(line("live", "rails-5xx", "u1", W + 1_000));
    pipe(line("live", "rails-5xx", "u2", W + MINUTE + 9_000)); // next window, 1 s before W closes
    pipe(line("live", "rails-5xx", "u3", W + 30_000)); // out of order, within grace
    closeWithEventAt(W + MINUTE + 10_000);
    assertCounts(finals().get("live/rails-5xx@" + W), 2, 2);
    assertTrue(deadLetters.isEmpty());
  }

  @Test
  void lateEventsGoToTheDeadLetterTopicAndAreNotCounted() {
    pipe(line("live", "rails-5xx", "u1", W + 1_000));
    closeWithEventAt(W + MINUTE + 10_000);
    assertCounts(finals().get("live/rails-5xx@" + W), 1, 1);

    pipe(line("live", "rails-5xx", "u2", W + 2_000));
    TestRecord<byte[], byte[]> late = deadLetters.readRecord();
    assertEquals("late", header(late.headers(), DeadLetters.REASON));
    assertEquals("events", header(late.headers(), DeadLetters.SOURCE_TOPIC));
    assertEquals("0", header(late.headers(), DeadLetters.SOURCE_PARTITION));
    assertEquals("2", header(late.headers(), DeadLetters.SOURCE_OFFSET));
    UserEvent event = new EventDecoder().decode(late.value(), 0).events().get(0);
    assertEquals("u2", event.username());
    assertEquals(1.0, metric(TallyMetrics.DEAD_LETTERS, "late"));

    closeWithEventAt(W + 3 * MINUTE);
    assertTrue(finals().keySet().stream().noneMatch(key -> key.endsWith("@" + W)),
        "the closed window was emitted again");
  }

  @Test
  void anIdleInputClosesItsLastWindowByTheWallClock() {
    pipe(WORKED_EXAMPLE);
    // the last event is at W+14.4s: W closes at W+70s, 55.6 s of idleness later
    WallClock.advance(driver, Duration.ofSeconds(50));
    assertTrue(finals().isEmpty(), "closed too early");
    WallClock.advance(driver, Duration.ofSeconds(6));
    Map<String, MinuteCount> finals = finals();
    assertEquals(3, finals.size(), finals.toString());
    assertCounts(finals.get("live/rails-5xx@" + W), 2, 1);
    // the wall clock stood at W+61 s: one second after the window's end
    assertEquals(1_000.0, metric(TallyMetrics.FINAL_DELAY + "-max", null));
  }

  @Test
  void eventsThatPiledUpWhileTheThreadWasBlockedAreNotLate() {
    pipe(line("live", "rails-5xx", "u1", W + 55_000));
    WallClock.advance(driver, Duration.ofSeconds(2));
    // the stream thread was blocked for 16 s (a commit, a rebalance, a blocking offset fetch): it
    // fetched nothing meanwhile, so the partition's quiet was not seen, and W (closing at W+70 s)
    // stays open for the events sent during the stall
    driver.advanceWallClockTime(Duration.ofSeconds(16));
    pipe(line("live", "rails-5xx", "u2", W + 58_000));
    assertTrue(deadLetters.isEmpty(), "an event sent during the stall was late");
    closeWithEventAt(W + 3 * MINUTE);
    assertCounts(finals().get("live/rails-5xx@" + W), 2, 2);
  }

  @Test
  void aPartitionWithRecordsLeftToProcessIsNotIdle() {
    driver.close();
    long[] end = {0};
    StreamsBuilder builder = new StreamsBuilder();
    TallyTopology.build(builder, settings, new InputState() {
      @Override
      public long waiting(int partition) {
        return 0; // the consumer has fetched everything
      }

      @Override
      public long unprocessed(int partition, long nextOffset) {
        return end[0] - Math.max(0, nextOffset);
      }

      @Override
      public int partitions() {
        return -1;
      }
    });
    start(builder.build());
    pipe(line("live", "rails-5xx", "u1", W + 14_000)); // offset 0
    end[0] = 5; // four more records fetched, which the task has not processed for two minutes
    WallClock.advance(driver, Duration.ofMinutes(2));
    assertTrue(finals().isEmpty(), "the clock ran on past records not processed yet");
    for (int user = 2; user <= 5; user++) {
      pipe(line("live", "rails-5xx", "u" + user, W + 15_000 + user)); // offsets 1 to 4
    }
    WallClock.advance(driver, Duration.ofSeconds(60)); // all processed: idle, W closes at W+70 s
    assertTrue(deadLetters.isEmpty(), "records left to process turned late");
    assertCounts(finals().get("live/rails-5xx@" + W), 5, 5);
  }

  @Test
  void openWindowsSendThrottledLiveUpdates() {
    pipe(line("live", "rails-5xx", "u1", W + 1_000));
    pipe(line("live", "rails-5xx", "u2", W + 2_000));
    driver.advanceWallClockTime(Duration.ofMillis(1_000));
    driver.advanceWallClockTime(Duration.ofMillis(1_000));
    List<MinuteCount> live = results.readValuesToList();
    assertFalse(live.isEmpty(), "no live update");
    MinuteCount last = live.get(live.size() - 1);
    assertFalse(last.getIsFinal());
    assertEquals(2, last.getCount());
    assertEquals(2, last.getUniqueUsers());
    // nothing changed: no more updates
    driver.advanceWallClockTime(Duration.ofMillis(3_000));
    assertTrue(results.isEmpty());
  }

  @Test
  void badInputGoesToTheDeadLetterTopicWithoutLosingItsNeighbours() {
    pipe(line("live", "rails-5xx", "u1", W + 1_000));
    pipeBytes(new byte[] {(byte) 0xC3, 0x01, 1, 2, 3}); // truncated Avro
    pipe("{\"product\": \"live\", \"event_type\": ");
    pipe("{\"product\": \"live\", \"username\": \"u9\", \"timestamp\": " + (W + 1) * 1_000_000L + "}");
    pipe("event_type=rails-5xx,product=live value=u9 " + (W + 1)); // milliseconds
    pipe("event_type=rails-5xx,product=live value=u2 " + (W + 2_000) * 1_000_000L + "\n"
        + "garbage without fields\n"
        + "event_type=rails-5xx,product=live value=u3 " + (W + 3_000) * 1_000_000L);
    pipeBytes(EventDecoder.encodeAvro(new UserEvent("live", "rails-5xx", "u4", (W + 4_000) * 1_000_000L)));
    closeWithEventAt(W + MINUTE + 10_000);

    assertCounts(finals().get("live/rails-5xx@" + W), 4, 4);
    List<String> reasons = new ArrayList<>();
    for (TestRecord<byte[], byte[]> letter : deadLetters.readRecordsToList()) {
      reasons.add(header(letter.headers(), DeadLetters.REASON));
      assertFalse(header(letter.headers(), DeadLetters.MESSAGE).isBlank());
    }
    assertEquals(List.of("unparseable", "unparseable", "missing-field", "timestamp-not-nanos",
        "unparseable"), reasons);
    assertEquals(3.0, metric(TallyMetrics.DEAD_LETTERS, "unparseable"));
    assertEquals(1.0, metric(TallyMetrics.DEAD_LETTERS, "missing-field"));
    assertEquals(1.0, metric(TallyMetrics.DEAD_LETTERS, "timestamp-not-nanos"));
  }

  @Test
  void awkwardNamesRoundTrip() {
    String product = "prod uct,=:|{}ü";
    String eventType = "type 日本, x=y|z:{}";
    pipeBytes(EventDecoder.encodeAvro(new UserEvent(product, eventType, "u 1", (W + 1) * 1_000_000L)));
    pipe("{\"product\": \"" + product + "\", \"event_type\": \"" + eventType
        + "\", \"username\": \"u 2\", \"timestamp\": " + (W + 2) * 1_000_000L + "}");
    pipe("event_type=" + escapeTag(eventType) + ",product=" + escapeTag(product)
        + " value=\"u 3\" " + (W + 3) * 1_000_000L);
    closeWithEventAt(W + MINUTE + 10_000);
    MinuteCount result = finals().get(product + "/" + eventType + "@" + W);
    assertCounts(result, 3, 3);
    assertEquals(product, result.getProduct());
    assertEquals(eventType, result.getEventType());
  }

  @Test
  void aWindowWithManyDistinctUsersIsExact() {
    int users = 100_000;
    for (int i = 0; i < users; i++) {
      pipeBytes(EventDecoder.encodeAvro(
          new UserEvent("live", "rails-5xx", "user-" + i, (W + i % MINUTE) * 1_000_000L)));
    }
    for (int i = 0; i < 1_000; i++) { // again: no new users
      pipeBytes(EventDecoder.encodeAvro(
          new UserEvent("live", "rails-5xx", "user-" + i, (W + 7) * 1_000_000L)));
    }
    closeWithEventAt(W + MINUTE + 10_000);
    assertCounts(finals().get("live/rails-5xx@" + W), users + 1_000, users);
  }

  @Test
  void eachWindowIsFinalExactlyOnce() {
    for (int minute = 0; minute < 5; minute++) {
      pipe(line("live", "rails-5xx", "u" + minute, W + minute * MINUTE + 1));
    }
    closeWithEventAt(W + 10 * MINUTE);
    WallClock.advance(driver, Duration.ofMinutes(5));
    closeWithEventAt(W + 20 * MINUTE);
    List<String> keys = new ArrayList<>();
    for (TestRecord<MinuteKey, MinuteCount> record : results.readRecordsToList()) {
      if (record.value().getIsFinal() && record.value().getProduct().equals("live")) {
        keys.add(record.value().getWindowStart().toEpochMilli() + "");
      }
    }
    assertEquals(List.of(W + "", W + MINUTE + "", W + 2 * MINUTE + "", W + 3 * MINUTE + "",
        W + 4 * MINUTE + ""), keys);
  }

  @Test
  void packedInputIsCountedAndItsBadRecordsKeepTheirOwnOffsetsAndKeys() {
    driver.close();
    StreamsBuilder builder = new StreamsBuilder();
    TallyTopology.build(builder, settings, new InputState() {
      @Override
      public long waiting(int partition) {
        return 0;
      }

      @Override
      public int partitions() {
        return -1;
      }

      @Override
      public boolean packed() {
        return true;
      }
    });
    start(builder.build());
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    long offset = 100;
    for (String line : WORKED_EXAMPLE.strip().split("\n")) {
      records.add(new ConsumerRecord<>("events", 0, offset++, utf8("user"), utf8(line)));
    }
    records.add(new ConsumerRecord<>("events", 0, 107, utf8("bad key"), utf8("no fields at all")));
    records.add(new ConsumerRecord<>("events", 0, 108, null, null));
    for (ConsumerRecord<byte[], byte[]> pack : InputPack.pack(records)) {
      pipeBytes(pack.value());
    }
    pipeBytes(InputPack.pack(List.of(new ConsumerRecord<>("events", 0, 109, null,
        utf8(line("clock", "tick", "clock", W + MINUTE + 10_000))))).get(0).value());

    // late: its window is closed; the aggregating stage's dead letter points to it too
    pipeBytes(InputPack.pack(List.of(new ConsumerRecord<>("events", 0, 120, null,
        utf8(line("live", "rails-5xx", "u7", W + 1))))).get(0).value());

    Map<String, MinuteCount> finals = finals();
    assertEquals(3, finals.size(), finals.toString());
    assertCounts(finals.get("live/rails-5xx@" + W), 2, 1);
    assertCounts(finals.get("live/stuck_in_queue@" + W), 1, 1);
    assertCounts(finals.get("automate/browser_error@" + W), 2, 2);
    List<TestRecord<byte[], byte[]>> letters = deadLetters.readRecordsToList();
    assertEquals(3, letters.size());
    assertEquals("late", header(letters.get(2).headers(), DeadLetters.REASON));
    assertEquals("120", header(letters.get(2).headers(), DeadLetters.SOURCE_OFFSET));
    assertEquals("107", header(letters.get(0).headers(), DeadLetters.SOURCE_OFFSET));
    assertEquals("bad key", new String(letters.get(0).key(), StandardCharsets.UTF_8));
    assertEquals("no fields at all", new String(letters.get(0).value(), StandardCharsets.UTF_8));
    assertEquals("108", header(letters.get(1).headers(), DeadLetters.SOURCE_OFFSET));
    assertEquals(null, letters.get(1).key());
  }

  // ---- helpers

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private void pipe(String text) {
    pipeBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  private void pipeBytes(byte[] value) {
    events.pipeInput(null, value, WALL);
  }

  /** Moves event time on with an event of another series, which then stays open. */
  private void closeWithEventAt(long eventMs) {
    pipe(line("clock", "tick", "clock", eventMs));
  }

  private static String line(String product, String eventType, String user, long ms) {
    return lineNs(product, eventType, user, ms * 1_000_000L);
  }

  private static String lineNs(String product, String eventType, String user, long ns) {
    return "event_type=" + eventType + ",product=" + product + " value=" + user + " " + ns;
  }

  private static String escapeTag(String value) {
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ");
  }

  /** Final results so far, by "product/event_type@windowStart"; fails on a window emitted twice. */
  private Map<String, MinuteCount> finals() {
    Map<String, MinuteCount> finals = new LinkedHashMap<>();
    for (MinuteCount value : results.readValuesToList()) {
      if (value.getIsFinal() && !value.getProduct().equals("clock")) {
        String key = value.getProduct() + "/" + value.getEventType() + "@"
            + value.getWindowStart().toEpochMilli();
        assertEquals(null, finals.put(key, value), "two final results for " + key);
      }
    }
    return finals;
  }

  private static void assertCounts(MinuteCount result, long count, long unique) {
    assertTrue(result != null, "no final result");
    assertTrue(result.getIsFinal());
    assertEquals(count, result.getCount(), "count of " + result);
    assertEquals(unique, result.getUniqueUsers(), "unique users of " + result);
  }

  private static String header(Headers headers, String key) {
    return new String(headers.lastHeader(key).value(), StandardCharsets.UTF_8);
  }

  private double metric(String name, String reason) {
    double total = 0;
    for (Map.Entry<MetricName, ? extends Metric> entry : driver.metrics().entrySet()) {
      MetricName metricName = entry.getKey();
      if (metricName.group().equals(TallyMetrics.GROUP) && metricName.name().equals(name)
          && (reason == null || reason.equals(metricName.tags().get("reason")))) {
        total += ((Number) entry.getValue().metricValue()).doubleValue();
      }
    }
    return total;
  }

}
