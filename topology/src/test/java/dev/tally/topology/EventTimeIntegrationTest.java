package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.localstack.KafkaBroker;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.schema.SeriesWindow;
import dev.tally.testkit.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The time rule on a real broker, for the inputs that broke earlier rules: every window final within
 * seconds, whatever the input. A transactional producer (its commit markers and aborted records take
 * offsets that no task processes), a backlog whose partitions end minutes of event time apart, and a
 * day-old hour sent partition by partition (as a sticky partitioner does) to a running Tally whose
 * partitions never had data. Each test says when its windows must be final, and that nothing was
 * late; {@link dev.tally.topology.time.LowWatermark} states the rule.
 *
 * <p>Run: {@code mvn -B -o -pl topology test -Dtest=EventTimeIntegrationTest}
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class EventTimeIntegrationTest {

  private static final long MINUTE = 60_000;
  private static final long GRACE_MS = 1_000;
  private static final long IDLE_TIMEOUT_MS = 1_000;
  private static final int PARTITIONS = 4;
  /**
   * How long after its bound a final may come: three commits, the brokers' next answer, and a busy
   * 2-core CI machine. The defects these tests catch hold windows back for minutes or for ever.
   */
  private static final long SLACK_MS = 5_000;

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

  /**
   * Live events from a transactional producer, one transaction of 25 events every 100 ms to one
   * partition after the other, every fifth one aborted: every window final within end + grace + idle
   * timeout (+ slack), the last one too, with the aborted events left out. The last marker sits after the last record: a partition
   * judged by "last record + 1" against its end never drained, and the last window never closed.
   */
  @Test
  void transactionalInputWithCommitsAndAbortsHasEveryWindowFinalInTime() throws Exception {
    String test = "transactions";
    long windowMs = 1_000;
    createTopic(test + "-events");
    Reference expected = new Reference(windowMs);
    Received received;
    try (TallyApp app = TallyApp.start(config(test, windowMs));
        KafkaProducer<byte[], byte[]> producer = transactionalProducer(test)) {
      app.awaitRunning(Duration.ofSeconds(30));
      producer.initTransactions();
      long until = System.currentTimeMillis() + 4_000;
      for (int transaction = 0; System.currentTimeMillis() < until; transaction++) {
        boolean abort = transaction % 5 == 4;
        producer.beginTransaction();
        for (int i = 0; i < 25; i++) {
          long ns = System.currentTimeMillis() * 1_000_000L + i;
          String eventType = i % 3 == 0 ? "rails-5xx" : "browser_error";
          String user = "user" + (transaction * 7 + i) % 11;
          producer.send(new ProducerRecord<>(test + "-events", transaction % PARTITIONS, null,
              line("live", eventType, user, ns)));
          if (!abort) {
            expected.add("live", eventType, user, ns);
          }
        }
        if (abort) {
          producer.abortTransaction();
        } else {
          producer.commitTransaction();
        }
        Thread.sleep(100);
      }
      long lastEnd = expected.lastWindowEndMs();
      received = Received.read(test + "-results", expected.expected().keySet(),
          lastEnd + GRACE_MS + IDLE_TIMEOUT_MS + 30_000);
    }
    received.assertExact(expected, lateEvents(test));
    for (Map.Entry<SeriesWindow, Long> entry : received.finalAt.entrySet()) {
      long end = entry.getKey().windowStartMs() + windowMs;
      long late = entry.getValue() - (end + GRACE_MS + IDLE_TIMEOUT_MS);
      assertTrue(late <= SLACK_MS, entry.getKey() + " final " + late + " ms after end + grace + "
          + "idle timeout");
    }
    assertEquals(0, lateEvents(test), "late events");
  }

  /**
   * Six minutes of 2020 already on the topic when Tally starts; partition 0 holds only the first
   * minute, so its last event is five minutes of event time behind the others'. Every window is
   * final within seconds of the last record processed: before, a drained partition's clock ran on
   * from its own last event with the wall clock, and the last five windows waited five minutes.
   */
  @Test
  void aBacklogWhosePartitionsEndMinutesApartIsFinalWithinSecondsOfItsLastRecord()
      throws Exception {
    String test = "skewed";
    createTopic(test + "-events");
    long from = Instant.parse("2020-03-01T10:00:00Z").toEpochMilli();
    Reference expected = new Reference(MINUTE);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int partition = 0; partition < PARTITIONS; partition++) {
      long span = partition == 0 ? MINUTE : 6 * MINUTE;
      for (int i = 0; i < 1_500; i++) {
        // the last event of each partition at the very end of its last minute
        long ms = from + (i == 1_499 ? span - 1 : i * (span / 1_500));
        String eventType = i % 2 == 0 ? "rails-5xx" : "stuck_in_queue";
        String user = "user" + (i * 31 + partition) % 97;
        records.add(new ProducerRecord<>(test + "-events", partition, null,
            line("live", eventType, user, ms * 1_000_000L)));
        expected.add("live", eventType, user, ms * 1_000_000L);
      }
    }
    produce(records);
    try (TallyApp app = TallyApp.start(config(test, MINUTE))) {
      assertExactAndFinalSoonAfterTheLastRecord(test, expected);
    }
  }

  /**
   * A running Tally whose partitions never had data gets an hour of yesterday, sent partition by
   * partition: partition 0 the first quarter hour, partition 1 the second, and so on. Nothing is
   * late (the first partition to process its records must not close the others' windows), and every
   * window is final within seconds of the last record processed (partition 0's last event is 45
   * minutes behind partition 3's).
   */
  @Test
  void aDayOldHourSentToPartitionsThatNeverHadDataIsExactAndFinalWithinSeconds() throws Exception {
    String test = "backfill";
    createTopic(test + "-events");
    long from = Math.floorDiv(System.currentTimeMillis() - 24 * 3_600_000L, 3_600_000L) * 3_600_000L;
    Reference expected = new Reference(MINUTE);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 12_000; i++) {
      long ms = from + i * 300L; // one event every 300 ms of the hour, in order
      int partition = (int) ((ms - from) / (15 * MINUTE));
      String eventType = i % 3 == 0 ? "browser_error" : "rails-5xx";
      String user = "user" + (i * 13) % 101;
      records.add(new ProducerRecord<>(test + "-events", partition, null,
          line("automate", eventType, user, ms * 1_000_000L)));
      expected.add("automate", eventType, user, ms * 1_000_000L);
    }
    try (TallyApp app = TallyApp.start(config(test, MINUTE))) {
      app.awaitRunning(Duration.ofSeconds(30));
      Thread.sleep(3 * IDLE_TIMEOUT_MS); // every partition drained and quiet, with no clock
      produce(records);
      assertExactAndFinalSoonAfterTheLastRecord(test, expected);
    }
  }

  /**
   * Every window exact, none late, and the last final within grace + idle timeout (+ slack, and a
   * second for the brokers' answer) of the last record processed: the last events of these backlogs
   * sit at the very end of their minute.
   */
  private static void assertExactAndFinalSoonAfterTheLastRecord(String test, Reference expected)
      throws Exception {
    long processedAt = awaitProcessed(test, Duration.ofSeconds(60));
    Received received = Received.read(test + "-results", expected.expected().keySet(),
        processedAt + 30_000);
    received.assertExact(expected, lateEvents(test));
    long last = received.finalAt.values().stream().mapToLong(Long::longValue).max().orElseThrow();
    assertTrue(last - processedAt <= GRACE_MS + IDLE_TIMEOUT_MS + SLACK_MS + 1_000, "the last "
        + "final came " + (last - processedAt) + " ms after the last record was processed; finals "
        + "by window: " + received.finalAt);
    assertEquals(0, lateEvents(test), "late events");
  }

  // ---- Tally, topics and clients

  private static TallyConfig config(String test, long windowMs) {
    Map<String, Object> values = new HashMap<>();
    values.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    values.put(StreamsConfig.APPLICATION_ID_CONFIG, "tally-time-" + test);
    values.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state-" + test).toString());
    values.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "2");
    values.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    values.put(TallyConfig.EVENTS_TOPIC, test + "-events");
    values.put(TallyConfig.RESULTS_TOPIC, test + "-results");
    values.put(TallyConfig.DEAD_LETTER_TOPIC, test + "-dead-letters");
    values.put(TallyConfig.AGGREGATION_PARTITIONS, "2");
    values.put(TallyConfig.TOPIC_REPLICATION, "1");
    values.put(TallyConfig.WINDOW_SIZE_MS, Long.toString(windowMs));
    values.put(TallyConfig.WINDOW_GRACE_MS, Long.toString(GRACE_MS));
    values.put(TallyConfig.IDLE_TIMEOUT_MS, Long.toString(IDLE_TIMEOUT_MS));
    values.put(TallyConfig.LIVE_INTERVAL_MS, "200");
    return new TallyConfig(values);
  }

  private static void createTopic(String name) throws Exception {
    Topics.create(kafka.admin(), new NewTopic(name, PARTITIONS, (short) 1));
  }

  private static KafkaProducer<byte[], byte[]> transactionalProducer(String test) {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, test + "-producer",
        ProducerConfig.LINGER_MS_CONFIG, "0"),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void produce(List<ProducerRecord<byte[], byte[]>> records) {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, "5"),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      records.forEach(producer::send);
      producer.flush();
    }
  }

  /**
   * Waits until Tally's group has committed every partition of the events topic up to its end, and
   * returns when: its last record has been processed, and the transaction that holds its events
   * committed.
   */
  private static long awaitProcessed(String test, Duration timeout) throws Exception {
    String topic = test + "-events";
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    Map<TopicPartition, Long> ends = new HashMap<>();
    kafka.admin().listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get()
        .forEach((partition, info) -> ends.put(partition, info.offset()));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Map<TopicPartition, OffsetAndMetadata> committed = kafka.admin()
          .listConsumerGroupOffsets("tally-time-" + test).partitionsToOffsetAndMetadata().get();
      if (ends.entrySet().stream().allMatch(end -> committed.get(end.getKey()) != null
          && committed.get(end.getKey()).offset() >= end.getValue())) {
        return System.currentTimeMillis();
      }
      Thread.sleep(50);
    }
    throw new AssertionError("Tally did not process " + topic + " up to " + ends + " in " + timeout);
  }

  /** Late events on the dead-letter topic, by what the brokers hold. */
  private static long lateEvents(String test) throws Exception {
    List<TopicPartition> partitions = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      partitions.add(new TopicPartition(test + "-dead-letters", p));
    }
    Map<TopicPartition, OffsetSpec> latest = partitions.stream()
        .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
    return kafka.admin().listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
        .get().values().stream().mapToLong(info -> info.offset()).sum();
  }

  private static byte[] line(String product, String eventType, String user, long ns) {
    return ("event_type=" + eventType + ",product=" + product + " value=" + user + " " + ns)
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Final results read from the results topic: counts, and when each final was read. */
  private static final class Received {
    final Map<SeriesWindow, String> finals = new TreeMap<>();
    final Map<SeriesWindow, Long> finalAt = new TreeMap<>();
    final List<SeriesWindow> twice = new ArrayList<>();

    /** Reads until every expected window is final (and 1 s more) or the deadline (wall clock). */
    static Received read(String topic, Set<SeriesWindow> expected, long deadlineMs) {
      Received received = new Received();
      try (KafkaConsumer<MinuteKey, MinuteCount> consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
          ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
          ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteCount().deserializer())) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
            .map(info -> new TopicPartition(topic, info.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        long stopAt = deadlineMs;
        while (System.currentTimeMillis() < stopAt) {
          for (ConsumerRecord<MinuteKey, MinuteCount> record : consumer.poll(Duration.ofMillis(50))) {
            MinuteCount value = record.value();
            if (!value.getIsFinal()) {
              continue;
            }
            SeriesWindow key = SeriesWindow.of(value);
            if (received.finals.put(key, value.getCount() + "/" + value.getUniqueUsers()) != null) {
              received.twice.add(key);
            }
            received.finalAt.putIfAbsent(key, System.currentTimeMillis());
          }
          if (received.finals.keySet().containsAll(expected) && stopAt == deadlineMs) {
            stopAt = Math.min(deadlineMs, System.currentTimeMillis() + 1_000);
          }
        }
      }
      return received;
    }

    /** Every window final once and exact; {@code late} (dead-lettered as late) says why not. */
    void assertExact(Reference expected, long late) {
      Map<SeriesWindow, String> want = new TreeMap<>();
      expected.expected().forEach((key, counts) -> want.put(key, counts.toString()));
      Map<SeriesWindow, String> wrong = new TreeMap<>();
      want.forEach((key, value) -> {
        if (!value.equals(finals.get(key))) {
          wrong.put(key, "want " + value + ", final " + finals.get(key));
        }
      });
      finals.keySet().stream().filter(key -> !want.containsKey(key))
          .forEach(key -> wrong.put(key, "unexpected " + finals.get(key)));
      assertEquals(Map.of(), wrong, "of " + want.size() + " windows, these are wrong or not final "
          + "(count/unique users by product/event type@window, the last final read); late events: " + late
          + "; windows final twice: " + twice);
      assertEquals(List.of(), twice, "windows final twice");
    }
  }
}
