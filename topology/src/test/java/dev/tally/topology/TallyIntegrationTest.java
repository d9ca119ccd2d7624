package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.localstack.ChildProcess;
import dev.tally.localstack.KafkaBroker;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.schema.MinuteUsers;
import dev.tally.schema.RangeCount;
import dev.tally.schema.RangeKey;
import dev.tally.schema.SeriesWindow;
import dev.tally.testkit.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tally end to end, as it runs in production: a real single-node KRaft broker in this JVM
 * ({@link KafkaBroker}), Tally started by {@link TallyApp#start} with exactly_once_v2, and the results
 * read back by a read_committed consumer. One broker serves the whole class; each test has its own
 * topics and application id. Windows are short (1 s, grace 0.5 s, idle timeout 1 s) to keep it quick.
 * The logic itself is specified record by record in {@link TallyTopologyTest}; these tests check what
 * only a real broker shows: several partitions consumed at their own pace, transactions, shuffles.
 *
 * <p>Run: {@code mvn -B -o -pl topology test -Dtest=TallyIntegrationTest}
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class TallyIntegrationTest {

  private static final long WINDOW_MS = 1_000;
  private static final long GRACE_MS = 500;
  private static final long NANOS_PER_MS = 1_000_000L;
  private static final Duration STALL = Duration.ofSeconds(20);
  /** 2026-03-14T15:09:00Z. In the past, as brokers refuse record timestamps far in the future. */
  /** A minute before an hour ends: a backlog's first minute closes the hour, for the ranges topic. */
  private static final long BASE_MS = Instant.parse("2026-03-14T15:59:00Z").toEpochMilli();

  private static final List<String> PRODUCTS =
      List.of("live", "app automate", "pay,ments", "naïve:prod|x", "日本 site");
  private static final List<String> EVENT_TYPES = List.of("rails-5xx", "stuck_in_queue",
      "browser error", "a,b=c", "x:y|z", "ümlaut", "emoji 😀", "say \"hi\"");

  @TempDir
  static Path dir;
  private static KafkaBroker kafka;

  @BeforeAll
  static void startBroker() {
    kafka = KafkaBroker.start(dir.resolve("kafka"), 0);
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void aBacklogOverUnevenPartitionsIsExact() throws Exception {
    Names names = Names.of("backlog");
    createTopic(names.events(), 4);
    // Partition 0 gets 3x the events of partition 1, and each stream thread drains one partition's
    // fetch before the next: a partition that waits its turn must not be taken for an idle one.
    Backlog backlog = Backlog.generate(20260314L, names.events(), new int[] {18_000, 6_000, 12_000, 9_000});
    assertTrue(backlog.expected.expected().size() > 4_000, "too few windows to be a test");
    produce(backlog.records);

    Map<SeriesWindow, List<MinuteCount>> finals;
    List<ConsumerRecord<byte[], byte[]>> deadLetters;
    // packed: a partition's records wait in Kafka Streams' queue by the hundred, its lag already 0
    try (TallyApp app = TallyApp.start(config(names))) {
      finals = readFinals(names.results(), backlog.expected.expected().keySet(), Duration.ofSeconds(90));
      deadLetters = readDeadLetters(names.deadLetters(), 0, Duration.ofSeconds(10));
    }

    List<ConsumerRecord<byte[], byte[]>> late = deadLetters.stream()
        .filter(letter -> "late".equals(header(letter.headers(), DeadLetters.REASON))).toList();
    assertTrue(late.isEmpty(), () -> late.size() + " events went to the dead-letter topic as late; "
        + "by source partition, how many and their offsets: " + lateBySource(late) + "; the first: "
        + header(late.get(0).headers(), DeadLetters.MESSAGE));
    assertEquals(List.of(), reasons(deadLetters), "dead letters from valid input");
    assertExactFinals(backlog.expected, finals);
    assertUsersMatchFinals(names.users(), finals);
    assertHourMatchesEvents(names.ranges(), backlog.expected);
  }

  /**
   * The ranges topic has one record per series for the hour that the events' first minute ends,
   * with its distinct users over all aggregating partitions (exact: a few hundred users at most);
   * the next hour is not final.
   */
  private static void assertHourMatchesEvents(String topic, Reference expected) {
    long hour = Math.floorDiv(BASE_MS, 3_600_000L) * 3_600_000L;
    Map<String, Set<String>> truth = new TreeMap<>();
    expected.expected().keySet().forEach(window -> {
      if (window.windowStartMs() < hour + 3_600_000L) {
        truth.computeIfAbsent(window.product() + "/" + window.eventType(), k -> new HashSet<>())
            .addAll(expected.users(window));
      }
    });
    Map<String, String> got = new TreeMap<>();
    try (KafkaConsumer<RangeKey, RangeCount> consumer = consumer(topic,
        ResultSerdes.rangeKey().deserializer(), ResultSerdes.rangeCount().deserializer())) {
      pollUntil(consumer, Duration.ofSeconds(30), record -> {
        RangeCount value = record.value();
        String key = value.getProduct() + "/" + value.getEventType() + "/" + value.getRange() + "@"
            + value.getRangeStart();
        assertEquals(null, got.put(key, value.getUniqueUsers() + (value.getExact() ? "" : "~")),
            "twice: " + key);
      }, () -> got.size() >= truth.size());
    }
    Map<String, String> want = new TreeMap<>();
    truth.forEach((series, users) -> want.put(series + "/1h@" + Instant.ofEpochMilli(hour),
        Integer.toString(users.size())));
    assertEquals(want, got, "distinct users per series in the hour (~: an estimate)");
  }

  /**
   * The users topic holds, for every final, one record per aggregating partition that saw the window:
   * disjoint sets of hashes, together as many as the final's unique users.
   */
  private static void assertUsersMatchFinals(String topic, Map<SeriesWindow, List<MinuteCount>> finals) {
    Map<SeriesWindow, Set<Long>> hashes = new HashMap<>();
    Map<SeriesWindow, Integer> records = new HashMap<>();
    List<String> overlapping = new ArrayList<>();
    long expected = finals.values().stream().mapToLong(values -> values.get(0).getUniqueUsers()).sum();
    long[] seen = {0};
    try (KafkaConsumer<MinuteKey, MinuteUsers> consumer = consumer(topic,
        ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteUsers().deserializer())) {
      pollUntil(consumer, Duration.ofSeconds(30), record -> {
        MinuteUsers value = record.value();
        SeriesWindow window = new SeriesWindow(value.getProduct(), value.getEventType(),
            value.getWindowStart().toEpochMilli());
        records.merge(window, 1, Integer::sum);
        Set<Long> of = hashes.computeIfAbsent(window, w -> new HashSet<>());
        for (long hash : value.getUserHashes()) {
          seen[0]++;
          if (!of.add(hash)) {
            overlapping.add(window + " partition " + value.getPartition());
          }
        }
      }, () -> seen[0] >= expected);
    }
    assertEquals(List.of(), overlapping.stream().distinct().limit(5).toList(), "a user in two partitions");
    assertEquals(finals.keySet(), hashes.keySet(), "windows with users against windows with finals");
    finals.forEach((window, values) -> assertEquals(values.get(0).getUniqueUsers(),
        hashes.get(window).size(), () -> window + ": hashes against unique users"));
    assertTrue(records.values().stream().anyMatch(count -> count > 1),
        "no window had users in more than one aggregating partition: not a test of the union");
  }

  @Test
  void anInstanceKilledMidStreamIsReplacedAndEveryEventCountsOnce() throws Exception {
    Names names = Names.of("crash");
    createTopic(names.events(), 2);
    Map<String, Object> settings = new HashMap<>(configValues(names));
    // no idle clock: the window of 1-2 s stays open across the restart, so that users seen before the
    // crash and again after it meet in one window, which only a correct restore counts once
    settings.put(TallyConfig.IDLE_TIMEOUT_MS, "600000");
    settings.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
    // the killed instance's partitions and open transaction are released after these
    settings.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), "6000");
    settings.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), "5000");
    Random random = new Random(20261201L);
    Reference expected = new Reference(WINDOW_MS);
    // before the crash: event time 0-2 s, users 0-59; after: 1.5-3.5 s, users 30-89, so that the window
    // of 1-2 s has users seen only before (lost by a bad restore), on both sides, and only after
    List<ProducerRecord<byte[], byte[]>> before = crashEvents(random, names.events(), 0, 0, expected);
    List<ProducerRecord<byte[], byte[]>> after = crashEvents(random, names.events(), 1_500, 30, expected);
    for (int partition = 0; partition < 2; partition++) {
      // the first closes every window above; the second only the first's, which stays open
      UserEvent closing = new UserEvent("clock", "tick", "clock", (BASE_MS + 300_000) * NANOS_PER_MS);
      expect(expected, closing);
      after.add(new ProducerRecord<>(names.events(), partition, null, EventDecoder.encodeAvro(closing)));
      after.add(new ProducerRecord<>(names.events(), partition, null, EventDecoder.encodeAvro(
          new UserEvent("clock", "tick", "clock", (BASE_MS + 600_000) * NANOS_PER_MS))));
    }

    Process killed = startProcess(settings, dir.resolve("crash-process.log"));
    Map<SeriesWindow, List<MinuteCount>> finals;
    try {
      Thread producing = new Thread(() -> produceSlowly(before));
      producing.start();
      // committed results show the instance under way: kill it, with uncommitted work in flight
      long seen = awaitCounted(names.results(), before.size() / 4, Duration.ofSeconds(60));
      killed.destroyForcibly().waitFor();
      producing.join();
      assertTrue(seen < before.size(), "all " + seen + " events were in before the kill: no crash tested");
      // a new state directory: all the state comes back from the changelogs
      settings.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state-crash-restarted").toString());
      try (TallyApp app = TallyApp.start(new TallyConfig(settings))) {
        produce(after);
        finals = readFinals(names.results(), expected.expected().keySet(), Duration.ofSeconds(100));
      }
    } finally {
      killed.destroyForcibly();
    }
    assertExactFinals(expected, finals);
    assertHourMatchesEvents(names.ranges(), expected);
  }

  @Test
  void badInputGoesToTheDeadLetterTopicAndItsNeighboursAreCounted() throws Exception {
    Names names = Names.of("poison");
    createTopic(names.events(), 2);
    long t = BASE_MS * NANOS_PER_MS;
    UserEvent u3 = new UserEvent("live", "rails-5xx", "u3", t + 300 * NANOS_PER_MS);
    UserEvent u4 = new UserEvent("live", "rails-5xx", "u4", t + 310 * NANOS_PER_MS);
    List<Input> inputs = List.of(
        Input.good(0, new UserEvent("live", "rails-5xx", "u1", t + 100 * NANOS_PER_MS), Format.AVRO),
        Input.bad(0, new byte[] {0x00, (byte) 0xFF, (byte) 0xFE, 0x01, 0x7F}, "unparseable"),
        Input.good(1, new UserEvent("live", "rails-5xx", "u2", t + 120 * NANOS_PER_MS), Format.JSON),
        Input.bad(1, new byte[] {(byte) 0xC3, 0x01, 1, 2, 3}, "unparseable"),
        Input.good(0, new UserEvent("live", "rails-5xx", "u1", t + 150 * NANOS_PER_MS), Format.LINE),
        Input.bad(0, utf8("{\"product\": \"live\", \"event_type\": "), "unparseable"),
        Input.bad(1, utf8("{\"product\": \"live\", \"username\": \"u9\", \"timestamp\": " + t + "}"),
            "missing-field"),
        Input.bad(0, utf8("event_type=rails-5xx,product=live"), "unparseable"),
        Input.bad(1, utf8("event_type=rails-5xx,product=live value=u9 " + BASE_MS), "timestamp-not-nanos"),
        Input.bad(0, null, "unparseable"),
        new Input(1, utf8(line(u3) + "\ngarbage without fields\n" + line(u4) + "\n"), List.of(u3, u4),
            "unparseable", utf8("garbage without fields")),
        Input.good(0, new UserEvent("app automate", "x:y|z", "u1", t + 400 * NANOS_PER_MS), Format.AVRO),
        Input.good(1, new UserEvent("app automate", "x:y|z", "u2", t + 1_200 * NANOS_PER_MS), Format.AVRO),
        Input.good(0, new UserEvent("live", "rails-5xx", "u5", t + 1_300 * NANOS_PER_MS), Format.JSON),
        Input.good(1, new UserEvent("live", "rails-5xx", "u5", t + 1_350 * NANOS_PER_MS), Format.AVRO));
    Reference expected = new Reference(WINDOW_MS);
    inputs.forEach(input -> input.events().forEach(event -> expect(expected, event)));

    // where each bad input landed, as "partition/offset reason payload"
    List<String> expectedLetters = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (Input input : inputs) {
        RecordMetadata sent = producer.send(
            new ProducerRecord<>(names.events(), input.partition(), null, input.value())).get();
        if (input.badReason() != null) {
          expectedLetters.add(letter(sent.partition(), sent.offset(), input.badReason(), input.badPayload()));
        }
      }
    }

    Map<SeriesWindow, List<MinuteCount>> finals;
    List<ConsumerRecord<byte[], byte[]>> deadLetters;
    // packed: every dead letter must still point to its own record's offset
    try (TallyApp app = TallyApp.start(config(names))) {
      finals = readFinals(names.results(), expected.expected().keySet(), Duration.ofSeconds(40));
      deadLetters = readDeadLetters(names.deadLetters(), expectedLetters.size(), Duration.ofSeconds(10));
    }

    List<String> actualLetters = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> letter : deadLetters) {
      assertEquals(names.events(), header(letter.headers(), DeadLetters.SOURCE_TOPIC));
      assertFalse(header(letter.headers(), DeadLetters.MESSAGE).isBlank(), "no message");
      actualLetters.add(letter(Integer.parseInt(header(letter.headers(), DeadLetters.SOURCE_PARTITION)),
          Long.parseLong(header(letter.headers(), DeadLetters.SOURCE_OFFSET)),
          header(letter.headers(), DeadLetters.REASON), letter.value()));
    }
    Collections.sort(expectedLetters);
    Collections.sort(actualLetters);
    assertEquals(expectedLetters, actualLetters);
    assertExactFinals(expected, finals);
  }

  @Test
  void aLiveWindowShowsUpdatesThenOneFinal() throws Exception {
    Names names = Names.of("live");
    createTopic(names.events(), 2);
    Reference expected = new Reference(WINDOW_MS);
    List<Received> received = new ArrayList<>();
    long windowStart;
    try (TallyApp app = TallyApp.start(unpackedConfig(names));
        KafkaConsumer<MinuteKey, MinuteCount> results = consumer(names.results(),
            ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteCount().deserializer());
        KafkaProducer<byte[], byte[]> producer = producer()) {
      app.awaitRunning(Duration.ofSeconds(30));
      windowStart = nextWindowStart();
      // a burst over most of one window, with event time = now, then silence
      for (int i = 0; System.currentTimeMillis() < windowStart + 700; i++) {
        UserEvent event = new UserEvent("live", i % 3 == 0 ? "browser error" : "rails-5xx",
            "user " + i % 7, System.currentTimeMillis() * NANOS_PER_MS + i);
        producer.send(new ProducerRecord<>(names.events(), utf8(event.username()),
            EventDecoder.encodeAvro(event)));
        expect(expected, event);
        Thread.sleep(25);
      }
      producer.flush();
      assertEquals(Set.of(windowStart), expected.expected().keySet().stream()
          .map(SeriesWindow::windowStartMs).collect(Collectors.toSet()), "the burst spilled over a window");

      Set<SeriesWindow> finalSeen = new HashSet<>();
      pollUntil(results, Duration.ofSeconds(20), record -> {
        received.add(new Received(record.value(), System.currentTimeMillis()));
        if (record.value().getIsFinal()) {
          finalSeen.add(SeriesWindow.of(record.value()));
        }
      }, () -> finalSeen.containsAll(expected.expected().keySet()));
      pollUntil(results, Duration.ofSeconds(2),
          record -> received.add(new Received(record.value(), System.currentTimeMillis())), () -> false);
    }

    for (Map.Entry<SeriesWindow, Reference.Expected> entry : expected.expected().entrySet()) {
      SeriesWindow window = entry.getKey();
      List<Received> updates = received.stream()
          .filter(r -> SeriesWindow.of(r.value()).equals(window)).toList();
      List<Received> finals = updates.stream().filter(r -> r.value().getIsFinal()).toList();
      assertEquals(1, finals.size(), "final records of " + window + ": " + updates);
      assertTrue(updates.get(updates.size() - 1).value().getIsFinal(), "an update after the final: " + updates);
      assertTrue(updates.size() >= 2, "no live update before the final: " + updates);
      MinuteCount last = finals.get(0).value();
      assertEquals(entry.getValue().count(), last.getCount(), "count of " + window);
      assertEquals(entry.getValue().uniqueUsers(), last.getUniqueUsers(), "unique users of " + window);
      long previous = 0;
      for (Received update : updates) {
        assertTrue(update.value().getCount() >= previous, "live counts went down: " + updates);
        previous = update.value().getCount();
      }
      long closable = windowStart + WINDOW_MS + GRACE_MS;
      assertTrue(last.getEmittedAt().toEpochMilli() >= closable,
          "final before window end + grace: " + last);
      assertTrue(finals.get(0).receivedMs() <= closable + 5_000,
          "final arrived " + (finals.get(0).receivedMs() - closable) + " ms after window end + grace");
    }
    Set<SeriesWindow> windows = expected.expected().keySet();
    Set<SeriesWindow> unexpected = received.stream().map(r -> SeriesWindow.of(r.value()))
        .filter(w -> !windows.contains(w)).collect(Collectors.toSet());
    assertEquals(Set.of(), unexpected);
  }

  /**
   * 2 x 2,000 events, 4 series, 60 users from {@code firstUser} on, event time from {@code fromMs} over
   * 2 s, in order per partition.
   */
  private static List<ProducerRecord<byte[], byte[]>> crashEvents(Random random, String topic,
      long fromMs, int firstUser, Reference expected) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      for (int partition = 0; partition < 2; partition++) {
        UserEvent event = new UserEvent(PRODUCTS.get(random.nextInt(2)), EVENT_TYPES.get(random.nextInt(2)),
            "user-" + (firstUser + random.nextInt(60)), (BASE_MS + fromMs + i) * NANOS_PER_MS + partition);
        expect(expected, event);
        records.add(new ProducerRecord<>(topic, partition, utf8(event.username()),
            EventDecoder.encodeAvro(event)));
      }
    }
    return records;
  }

  /** Sends in small bursts over a few seconds, so that an instance killed meanwhile has work in flight. */
  private static void produceSlowly(List<ProducerRecord<byte[], byte[]>> records) {
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (int i = 0; i < records.size(); i++) {
        producer.send(records.get(i));
        if (i % 100 == 99) {
          producer.flush();
          Thread.sleep(100);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits until the committed results count at least {@code events} events; returns how many they count. */
  private static long awaitCounted(String results, long events, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!kafka.admin().listTopics().names().get().contains(results) && System.nanoTime() < deadline) {
      Thread.sleep(100); // the instance creates it as it starts
    }
    Map<SeriesWindow, Long> latest = new HashMap<>();
    try (KafkaConsumer<MinuteKey, MinuteCount> consumer = consumer(results,
        ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteCount().deserializer())) {
      pollUntil(consumer, timeout, record -> latest.put(SeriesWindow.of(record.value()),
          record.value().getCount()), () -> latest.values().stream().mapToLong(Long::longValue).sum() >= events);
    }
    long counted = latest.values().stream().mapToLong(Long::longValue).sum();
    assertTrue(counted >= events, "the instance counted only " + counted + " events");
    return counted;
  }

  /** Tally in a child JVM, which the test can kill without letting it commit or close. */
  private static Process startProcess(Map<String, Object> settings, Path log) throws Exception {
    List<String> args = new ArrayList<>();
    settings.forEach((key, value) -> args.add(key + "=" + value));
    return new ProcessBuilder(ChildProcess.javaCommand(List.of(), TallyApp.class.getName(), args))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  // ---- checks

  private static void assertExactFinals(Reference expected, Map<SeriesWindow, List<MinuteCount>> finals) {
    List<String> problems = new ArrayList<>();
    Map<SeriesWindow, Reference.Expected> windows = expected.expected();
    for (Map.Entry<SeriesWindow, Reference.Expected> entry : windows.entrySet()) {
      List<MinuteCount> got = finals.getOrDefault(entry.getKey(), List.of());
      Reference.Expected want = entry.getValue();
      if (got.isEmpty()) {
        problems.add("missing " + entry.getKey() + " (want " + want + ")");
      } else if (got.size() > 1) {
        problems.add(got.size() + " finals for " + entry.getKey() + ": " + counts(got));
      } else if (got.get(0).getCount() != want.count() || got.get(0).getUniqueUsers() != want.uniqueUsers()) {
        problems.add("wrong " + entry.getKey() + ": got " + counts(got) + ", want " + want);
      }
    }
    finals.keySet().stream().filter(key -> !windows.containsKey(key))
        .forEach(key -> problems.add("unexpected final " + key + ": " + counts(finals.get(key))));
    assertTrue(problems.isEmpty(), problems.size() + " of " + windows.size()
        + " windows wrong, e.g. " + problems.subList(0, Math.min(10, problems.size())));
  }

  private static String counts(List<MinuteCount> values) {
    return values.stream().map(v -> v.getCount() + "/" + v.getUniqueUsers()).toList().toString();
  }

  /** {@code partition -> [count, first offset .. last offset]} of the late dead letters. */
  private static Map<Integer, String> lateBySource(List<ConsumerRecord<byte[], byte[]>> late) {
    Map<Integer, LongSummaryStatistics> offsets = late.stream().collect(Collectors.groupingBy(
        letter -> Integer.parseInt(header(letter.headers(), DeadLetters.SOURCE_PARTITION)), TreeMap::new,
        Collectors.summarizingLong(letter -> Long.parseLong(header(letter.headers(), DeadLetters.SOURCE_OFFSET)))));
    Map<Integer, String> summary = new TreeMap<>();
    offsets.forEach((partition, stats) ->
        summary.put(partition, stats.getCount() + " [" + stats.getMin() + ".." + stats.getMax() + "]"));
    return summary;
  }

  private static List<String> reasons(List<ConsumerRecord<byte[], byte[]>> letters) {
    return letters.stream().map(letter -> header(letter.headers(), DeadLetters.REASON)).toList();
  }

  private static String letter(int partition, long offset, String reason, byte[] payload) {
    return partition + "/" + offset + " " + reason + " "
        + HexFormat.of().formatHex(payload == null ? new byte[0] : payload);
  }

  // ---- Tally, topics and clients

  /** The topics and application id of one test. */
  private record Names(String test, String events, String results, String deadLetters) {
    static Names of(String test) {
      return new Names(test, test + "-events", test + "-results", test + "-dead-letters");
    }

    String users() {
      return test + "-users";
    }

    String ranges() {
      return test + "-ranges";
    }
  }

  private static TallyConfig config(Names names) {
    return new TallyConfig(configValues(names));
  }

  /** With the events topic's records handed to the input stage one by one (tally.input.packing). */
  private static TallyConfig unpackedConfig(Names names) {
    Map<String, Object> values = configValues(names);
    values.put(TallyConfig.INPUT_PACKING, "false");
    return new TallyConfig(values);
  }

  private static Map<String, Object> configValues(Names names) {
    Map<String, Object> values = new HashMap<>();
    values.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    values.put(StreamsConfig.APPLICATION_ID_CONFIG, "tally-it-" + names.test());
    values.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state-" + names.test()).toString());
    values.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "2");
    values.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    values.put(TallyConfig.EVENTS_TOPIC, names.events());
    values.put(TallyConfig.RESULTS_TOPIC, names.results());
    values.put(TallyConfig.DEAD_LETTER_TOPIC, names.deadLetters());
    values.put(TallyConfig.USERS_TOPIC, names.users());
    values.put(TallyConfig.RANGES_TOPIC, names.ranges());
    values.put(TallyConfig.AGGREGATION_PARTITIONS, "3");
    values.put(TallyConfig.TOPIC_REPLICATION, "1");
    values.put(TallyConfig.WINDOW_SIZE_MS, Long.toString(WINDOW_MS));
    values.put(TallyConfig.WINDOW_GRACE_MS, Long.toString(GRACE_MS));
    values.put(TallyConfig.IDLE_TIMEOUT_MS, "1000");
    values.put(TallyConfig.LIVE_INTERVAL_MS, "200");
    return values;
  }

  private static void createTopic(String name, int partitions) throws Exception {
    Topics.create(kafka.admin(), new NewTopic(name, partitions, (short) 1));
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, "0",
        ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024)),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void produce(List<ProducerRecord<byte[], byte[]>> records) throws Exception {
    AtomicReference<Exception> failure = new AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (ProducerRecord<byte[], byte[]> record : records) {
        producer.send(record, (metadata, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
        });
      }
      producer.flush();
    }
    if (failure.get() != null) {
      throw failure.get();
    }
  }

  /** A read_committed consumer of every partition of {@code topic}, from the beginning. */
  private static <K, V> KafkaConsumer<K, V> consumer(String topic, Deserializer<K> keys,
      Deserializer<V> values) {
    KafkaConsumer<K, V> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000"), keys, values);
    List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
        .map(info -> new TopicPartition(topic, info.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  private interface RecordSink<K, V> {
    void take(ConsumerRecord<K, V> record);
  }

  /** Polls until {@code done} or the timeout, whichever comes first. */
  private static <K, V> void pollUntil(KafkaConsumer<K, V> consumer, Duration timeout,
      RecordSink<K, V> sink, BooleanSupplier done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      for (ConsumerRecord<K, V> record : consumer.poll(Duration.ofMillis(100))) {
        sink.take(record);
      }
    }
  }

  /**
   * Final results by window: read until every expected window has one, then for 2 s more, so that a
   * second final of a window would show. Gives up at the timeout, or once finals have stopped coming
   * for 20 s (windows whose events were lost never close).
   */
  private static Map<SeriesWindow, List<MinuteCount>> readFinals(String topic,
      Set<SeriesWindow> expected, Duration timeout) {
    Map<SeriesWindow, List<MinuteCount>> finals = new HashMap<>();
    List<String> mismatched = new ArrayList<>();
    RecordSink<MinuteKey, MinuteCount> sink = record -> {
      MinuteCount value = record.value();
      SeriesWindow window = SeriesWindow.of(value);
      MinuteKey key = record.key();
      if (!new SeriesWindow(key.getProduct(), key.getEventType(), key.getWindowStart().toEpochMilli())
          .equals(window) || value.getWindowEnd().toEpochMilli() != window.windowStartMs() + WINDOW_MS) {
        mismatched.add(key + " -> " + value);
      }
      if (value.getIsFinal()) {
        finals.computeIfAbsent(window, w -> new ArrayList<>()).add(value);
      }
    };
    try (KafkaConsumer<MinuteKey, MinuteCount> consumer = consumer(topic,
        ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteCount().deserializer())) {
      long[] progress = {0, System.nanoTime()};
      pollUntil(consumer, timeout, sink, () -> {
        if (finals.size() != progress[0]) {
          progress[0] = finals.size();
          progress[1] = System.nanoTime();
        }
        boolean stalled = progress[0] > 0 && System.nanoTime() - progress[1] > STALL.toNanos();
        return stalled || finals.keySet().containsAll(expected);
      });
      pollUntil(consumer, Duration.ofSeconds(2), sink, () -> false);
    }
    assertEquals(List.of(), mismatched, "result keys that do not match their values");
    return finals;
  }

  /** The dead-letter topic up to its last stable offset, once it holds at least {@code atLeast} records. */
  private static List<ConsumerRecord<byte[], byte[]>> readDeadLetters(String topic, int atLeast,
      Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> letters = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(topic, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      pollUntil(consumer, timeout, letters::add, () -> {
        if (letters.size() < atLeast) {
          return false;
        }
        Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment());
        return ends.entrySet().stream().allMatch(end -> consumer.position(end.getKey()) >= end.getValue());
      });
    }
    return letters;
  }

  private static String header(Headers headers, String key) {
    Header header = headers.lastHeader(key);
    assertNotNull(header, "no header " + key);
    return new String(header.value(), StandardCharsets.UTF_8);
  }

  /** Sleeps until the wall clock is just past a window start, and returns that start. */
  private static long nextWindowStart() throws InterruptedException {
    long now = System.currentTimeMillis();
    long start = Math.floorDiv(now, WINDOW_MS) * WINDOW_MS + WINDOW_MS;
    Thread.sleep(start + 20 - now);
    return start;
  }

  // ---- input and the expected answer

  /** One window of one series. */

  /** The series and window of an event. */
  private static SeriesWindow seriesWindowOf(UserEvent event) {
    long ms = Math.floorDiv(event.timestampNs(), NANOS_PER_MS);
    return new SeriesWindow(event.product(), event.eventType(), Math.floorDiv(ms, WINDOW_MS) * WINDOW_MS);
  }

  /** Counts {@code event} in the expected answer. */
  private static void expect(Reference expected, UserEvent event) {
    expected.add(event.product(), event.eventType(), event.username(), event.timestampNs());
  }

  private enum Format {
    AVRO, JSON, LINE;

    byte[] encode(UserEvent event) {
      return switch (this) {
        case AVRO -> EventDecoder.encodeAvro(event);
        case JSON -> utf8(json(event));
        case LINE -> utf8(line(event));
      };
    }
  }

  /** One input record of the poison test: the events it holds, and the dead letter it should give. */
  private record Input(int partition, byte[] value, List<UserEvent> events, String badReason,
      byte[] badPayload) {
    static Input good(int partition, UserEvent event, Format format) {
      return new Input(partition, format.encode(event), List.of(event), null, null);
    }

    static Input bad(int partition, byte[] value, String reason) {
      return new Input(partition, value, List.of(), reason, value);
    }
  }

  private record Received(MinuteCount value, long receivedMs) {
    @Override
    public String toString() {
      return value.getCount() + "/" + value.getUniqueUsers() + (value.getIsFinal() ? " final" : " live");
    }
  }

  /**
   * A seeded backlog: events over 120 windows and 40 series, in every input format, keyed by user,
   * by nothing or at random, each partition in event-time order but for shuffles within the grace.
   */
  private static final class Backlog {
    static final int SPAN_MS = 120_000;
    /** How far an event may arrive behind the newest one of its partition; below the grace. */
    static final int SHUFFLE_MS = 400;

    final List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    final Reference expected = new Reference(WINDOW_MS);

    static Backlog generate(long seed, String topic, int[] eventsPerPartition) {
      Random random = new Random(seed);
      List<String> users = new ArrayList<>();
      for (int i = 0; i < 2_000; i++) {
        users.add(i % 97 == 0 ? "ユーザー " + i : i % 89 == 0 ? "user, " + i + " \"x\"" : "user-" + i);
      }
      Backlog backlog = new Backlog();
      for (int partition = 0; partition < eventsPerPartition.length; partition++) {
        int n = eventsPerPartition[partition];
        List<Arrival> arrivals = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          long ms = BASE_MS + random.nextInt(SPAN_MS);
          // half the events come from 40 busy users, so users repeat within a window and across partitions
          String user = users.get(random.nextBoolean() ? random.nextInt(40) : random.nextInt(users.size()));
          UserEvent event = new UserEvent(PRODUCTS.get(random.nextInt(PRODUCTS.size())),
              EVENT_TYPES.get(random.nextInt(EVENT_TYPES.size())), user,
              ms * NANOS_PER_MS + random.nextInt((int) NANOS_PER_MS));
          arrivals.add(new Arrival(event, ms + random.nextInt(SHUFFLE_MS)));
        }
        arrivals.sort(Comparator.comparingLong(Arrival::atMs));
        List<UserEvent> events = arrivals.stream().map(Arrival::event).toList();
        events.forEach(event -> expect(backlog.expected, event));
        backlog.addRecords(random, topic, partition, events);
      }
      return backlog;
    }

    /** An event and when it arrives in its partition, on the event-time scale. */
    private record Arrival(UserEvent event, long atMs) {
    }

    private void addRecords(Random random, String topic, int partition, List<UserEvent> events) {
      int i = 0;
      while (i < events.size()) {
        int batch = 1;
        String value = null;
        if (partition == 2 && i == events.size() / 2) {
          batch = 25;
          value = events.subList(i, i + batch).stream().map(TallyIntegrationTest::line)
              .collect(Collectors.joining("\n"));
        } else if (partition == 1 && i == events.size() / 3) {
          batch = 3;
          value = events.subList(i, i + batch).stream().map(TallyIntegrationTest::json)
              .collect(Collectors.joining("\n"));
        }
        UserEvent first = events.get(i);
        byte[] bytes;
        if (value != null) {
          bytes = utf8(value);
        } else {
          double format = random.nextDouble();
          bytes = format < 0.8 ? EventDecoder.encodeAvro(first)
              : format < 0.9 ? utf8(json(first))
              : utf8(line(first));
        }
        double keying = random.nextDouble();
        byte[] key = keying < 0.8 ? utf8(first.username())
            : keying < 0.9 ? null
            : utf8("k" + random.nextLong());
        records.add(new ProducerRecord<>(topic, partition, key, bytes));
        i += batch;
      }
    }
  }

  // ---- formats

  private static String json(UserEvent event) {
    return "{\"event_type\": " + jsonString(event.eventType()) + ", \"product\": "
        + jsonString(event.product()) + ", \"username\": " + jsonString(event.username())
        + ", \"timestamp\": " + event.timestampNs() + "}";
  }

  private static String jsonString(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String line(UserEvent event) {
    return "event_type=" + tag(event.eventType()) + ",product=" + tag(event.product()) + " value=\""
        + event.username().replace("\\", "\\\\").replace("\"", "\\\"") + "\" " + event.timestampNs();
  }

  private static String tag(String value) {
    return value.replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ");
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
