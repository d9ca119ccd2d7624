package dev.tally.topology.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.topology.TallyApp;
import dev.tally.topology.TopologySettings;
import dev.tally.topology.time.Windows;
import dev.tally.topology.wire.StoreKeys;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * The aggregating stage's tallies and their changelog: one batch per changed series per commit,
 * deletes on close, and a restore that gives the same tallies; alone and inside the topology.
 */
class TalliesTest {

  private static final long MINUTE = 60_000;
  private static final long W = 1478507520000L;
  private static final Bytes LIVE = key(W, "live", "rails-5xx");
  private static final Bytes AUTOMATE = key(W, "automate", "browser_error");

  private final List<KeyValue<Bytes, byte[]>> changelog = new ArrayList<>();
  private final Tallies store = open(changelog);

  @Test
  void countsEventsAndDistinctUsers() {
    store.add(LIVE, "u1");
    store.add(LIVE, "u1");
    store.add(LIVE, "u2");
    store.add(AUTOMATE, "u1");
    assertTally(2, 3, store.get(LIVE));
    assertTally(1, 1, store.get(AUTOMATE));
  }

  @Test
  void aCommitWritesOneRecordPerChangedSeries() {
    for (int i = 0; i < 1_000; i++) {
      store.add(i % 2 == 0 ? LIVE : AUTOMATE, "user-" + i % 300);
    }
    assertEquals(List.of(), changelog, "written before the commit");
    store.flush();
    assertEquals(2, changelog.size());

    store.add(LIVE, "user-0");
    store.flush();
    store.flush();
    assertEquals(3, changelog.size(), "one more record for the one changed series, none for no change");
  }

  @Test
  void closingAWindowDeletesEachOfItsBatchesAndForgetsWhatWasNeverWritten() {
    store.add(LIVE, "u1");
    store.flush();
    store.add(LIVE, "u2");
    store.flush();
    store.add(LIVE, "u3");
    Bytes later = key(W + MINUTE, "live", "rails-5xx");
    store.add(later, "u1");
    changelog.clear();

    Map<Bytes, Long> closed = new TreeMap<>();
    store.closeBefore(W + MINUTE, (key, tally) -> closed.put(key, tally.uniqueUsers()));

    assertEquals(Map.of(LIVE, 3L), closed);
    assertEquals(List.of(batchKey(LIVE, 0), batchKey(LIVE, 1)),
        changelog.stream().map(record -> record.key).toList());
    assertTrue(changelog.stream().allMatch(record -> record.value == null), "not tombstones");
    assertNull(store.get(LIVE));
    assertTally(1, 1, store.get(later));
    changelog.clear();
    store.flush();
    assertEquals(1, changelog.size(), "only the open window's pending batch is left to write");
  }

  @Test
  void restoringTheChangelogGivesTheSameTalliesAndGoesOnFromThere() {
    Random random = new Random(7);
    List<Bytes> keys = new ArrayList<>();
    for (int minute = 0; minute < 4; minute++) {
      for (String series : List.of("a", "b", "c")) {
        keys.add(key(W + minute * MINUTE, "live", series));
      }
    }
    for (int commit = 0; commit < 30; commit++) {
      // after the first window closed, its events are late: the processor never adds them
      int first = commit > 20 ? 3 : 0;
      for (int i = 0; i < 200; i++) {
        store.add(keys.get(first + random.nextInt(keys.size() - first)), "user-" + random.nextInt(150));
      }
      store.flush();
      if (commit == 20) {
        store.closeBefore(W + MINUTE, (key, tally) -> { });
      }
    }

    Tallies restored = restore(changelog);
    assertSameTallies(store, restored, keys);
    assertNull(restored.get(keys.get(0)), "a closed window came back");

    // both go on with the same events: the restored store's new batches must not overwrite old ones
    List<KeyValue<Bytes, byte[]>> history = new ArrayList<>(changelog);
    List<KeyValue<Bytes, byte[]>> more = new ArrayList<>();
    Tallies goingOn = restore(history, more);
    for (int i = 0; i < 500; i++) {
      Bytes key = keys.get(3 + random.nextInt(keys.size() - 3));
      String user = "user-" + random.nextInt(200);
      store.add(key, user);
      goingOn.add(key, user);
    }
    store.flush();
    goingOn.flush();
    assertSameTallies(store, goingOn, keys);
    List<KeyValue<Bytes, byte[]>> both = new ArrayList<>(history);
    both.addAll(more);
    assertSameTallies(store, restore(both), keys);
  }

  @Test
  void manyNewUsersInOneCommitAreSplitIntoRecordsOfBoundedSize() {
    Set<String> users = new HashSet<>();
    for (int i = 0; i < 20_000; i++) {
      String user = "a-rather-long-user-name-" + i;
      users.add(user);
      store.add(LIVE, user);
    }
    store.flush();
    assertTrue(changelog.size() > 5, changelog.size() + " records");
    assertTrue(changelog.stream().allMatch(r -> r.value.length <= Tallies.MAX_BATCH_BYTES));
    assertTally(20_000, 20_000, restore(changelog).get(LIVE));
  }

  @Test
  void seriesAreFoundFromTheirBytesInPlaceAcrossGrowthRemovalsAndClosedWindows() {
    // a reference model against the store's own index: many series per window (the index grows),
    // tallies forgotten by whole windows (closing), one by one in key order
    Random random = new Random(7);
    Map<Bytes, long[]> want = new java.util.HashMap<>();
    List<Bytes> keys = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      for (int s = 0; s < 300; s++) {
        keys.add(key(W + w * MINUTE, "product-" + s % 7, "type-" + s));
      }
    }
    Tallies store = new Tallies((key, value) -> { });
    long closedBefore = Long.MIN_VALUE;
    for (int op = 0; op < 60_000; op++) {
      Bytes key = keys.get(random.nextInt(keys.size()));
      long window = StoreKeys.windowOf(key);
      if (window < closedBefore) {
        continue;
      }
      int roll = random.nextInt(100);
      if (roll == 3 && op > 30_000 && closedBefore == Long.MIN_VALUE) {
        closedBefore = W + 2 * MINUTE;
        store.closeBefore(closedBefore, (closed, tally) -> { });
        want.keySet().removeIf(k -> StoreKeys.windowOf(k) < W + 2 * MINUTE);
      } else {
        // the series in place, inside a larger array as a shuffle batch holds it
        byte[] series = StoreKeys.seriesOf(key);
        byte[] batch = new byte[series.length + 11];
        System.arraycopy(series, 0, batch, 5, series.length);
        byte[] user = ("u" + random.nextInt(20)).getBytes(StandardCharsets.UTF_8);
        Tallies.Tally tally = store.add(window, batch, 5, series.length, user, 0, user.length);
        long[] counts = want.computeIfAbsent(key, k -> new long[2]);
        counts[0]++;
        assertEquals(key, tally.windowSeries());
        assertEquals(counts[0], tally.count());
      }
    }
    assertTrue(closedBefore != Long.MIN_VALUE, "never closed a window");
    int open = 0;
    for (Bytes key : keys) {
      Tallies.Tally tally = store.get(key);
      if (want.containsKey(key)) {
        open++;
        assertTrue(tally != null, "lost " + key);
        assertEquals(want.get(key)[0], tally.count(), "count of " + key);
      } else {
        assertNull(tally, "kept " + key);
      }
    }
    assertTrue(open > 500, open + " open tallies");
  }

  @Test
  void whatNoCommitWroteIsNotRestored() {
    store.add(LIVE, "u1");
    store.flush();
    store.add(LIVE, "u2");
    store.add(AUTOMATE, "u3");
    // after an aborted transaction Kafka Streams restores the committed changelog, and new tallies load it
    Tallies revived = restore(changelog);
    assertTally(1, 1, revived.get(LIVE));
    assertNull(revived.get(AUTOMATE));
  }

  @Test
  void inTheTopologyTheChangelogRestoresTheTalliesAndClosingDeletesAllOfIt() {
    TopologySettings settings = new TopologySettings("events", "results", "dead-letters", "users", "ranges",
        new Windows(MINUTE, 10_000), 5_000, 1_000, 200, 1, 1);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tally-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    Instant wall = Instant.ofEpochMilli(W + 5_000);
    try (TopologyTestDriver driver = new TopologyTestDriver(TallyApp.topology(settings), props, wall)) {
      TestInputTopic<byte[], byte[]> events = driver.createInputTopic("events",
          new ByteArraySerializer(), new ByteArraySerializer(), wall, Duration.ZERO);
      TestOutputTopic<byte[], byte[]> changelogTopic = driver.createOutputTopic(
          "tally-test-" + AggregateProcessor.TALLIES_STORE + "-changelog", new ByteArrayDeserializer(),
          new ByteArrayDeserializer());
      StringBuilder lines = new StringBuilder();
      for (int i = 0; i < 500; i++) {
        lines.append("event_type=").append(i % 2 == 0 ? "rails-5xx,product=live" : "browser_error,product=automate")
            .append(" value=user-").append(i % 300).append(' ').append((W + i) * 1_000_000L).append('\n');
      }
      // the 500 events cross the by-user shuffle in one batch: one changelog record per series
      events.pipeInput(null, lines.toString().getBytes(StandardCharsets.UTF_8), wall);

      List<KeyValue<byte[], byte[]>> written = changelogTopic.readKeyValuesToList();
      assertEquals(2, written.size());
      Tallies restored = restore(written.stream()
          .map(record -> KeyValue.pair(Bytes.wrap(record.key), record.value)).toList());
      assertTally(150, 250, restored.get(LIVE));
      assertTally(150, 250, restored.get(AUTOMATE));

      events.pipeInput(null, ("event_type=tick,product=clock value=clock "
          + (W + MINUTE + 10_000) * 1_000_000L).getBytes(StandardCharsets.UTF_8), wall);
      Set<Bytes> deleted = new HashSet<>();
      for (KeyValue<byte[], byte[]> record : changelogTopic.readKeyValuesToList()) {
        if (record.value == null) {
          deleted.add(Bytes.wrap(record.key));
        }
      }
      Set<Bytes> keys = new HashSet<>();
      written.forEach(record -> keys.add(Bytes.wrap(record.key)));
      assertEquals(keys, deleted);
    }
  }

  private static Tallies open(List<KeyValue<Bytes, byte[]>> sink) {
    return new Tallies((key, value) -> sink.add(KeyValue.pair(key, value)));
  }

  /**
   * New tallies loaded from {@code records} as the logged store restores them (a delete removes the
   * batch), then writing to {@code sink}.
   */
  private static Tallies restore(List<KeyValue<Bytes, byte[]>> records,
      List<KeyValue<Bytes, byte[]>> sink) {
    TreeMap<Bytes, byte[]> restored = new TreeMap<>();
    for (KeyValue<Bytes, byte[]> record : records) {
      if (record.value == null) {
        restored.remove(record.key);
      } else {
        assertNull(restored.put(record.key, record.value), "a batch written twice: " + record.key);
      }
    }
    Tallies tallies = open(sink);
    tallies.load(restored.entrySet().stream()
        .map(entry -> KeyValue.pair(entry.getKey(), entry.getValue())).iterator());
    assertEquals(List.of(), sink, "loading wrote to the changelog");
    return tallies;
  }

  private static Tallies restore(List<KeyValue<Bytes, byte[]>> records) {
    return restore(records, new ArrayList<>());
  }

  private static void assertSameTallies(Tallies want, Tallies got, List<Bytes> keys) {
    int open = 0;
    for (Bytes key : keys) {
      Tallies.Tally expected = want.get(key);
      Tallies.Tally actual = got.get(key);
      if (expected == null) {
        assertNull(actual, "restored a tally that is not there: " + key);
      } else {
        open++;
        assertTally(expected.uniqueUsers(), expected.count(), actual);
      }
    }
    assertTrue(open > 3, "too few open tallies to be a test");
  }

  private static void assertTally(long unique, long count, Tallies.Tally tally) {
    assertTrue(tally != null, "no tally");
    assertEquals(count, tally.count(), "count");
    assertEquals(unique, tally.uniqueUsers(), "unique users");
  }

  private static Bytes key(long window, String product, String eventType) {
    return StoreKeys.windowSeries(window, StoreKeys.series(product, eventType));
  }

  private static Bytes batchKey(Bytes windowSeries, int batch) {
    byte[] prefix = windowSeries.get();
    return Bytes.wrap(java.nio.ByteBuffer.allocate(prefix.length + 4).put(prefix).putInt(batch).array());
  }
}
