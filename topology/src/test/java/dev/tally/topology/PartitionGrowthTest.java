package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.localstack.KafkaBroker;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Growing the events topic while Tally runs keeps every window exact: users move to other partitions
 * mid-window, and the new partitions are read only once Kafka Streams has picked them up, while the
 * old ones go on. Tally notices a new partition count within about a second and from then on waits
 * for the new partitions' clocks; the test's producer, like real ones, uses the new partitions after
 * that.
 */
class PartitionGrowthTest {

  private static final long BASE_MS = 1_773_500_000_000L; // 2026-03-14, in the past
  private static final long WINDOW_MS = 1_000;

  @Test
  void growingTheEventsTopicMidStreamKeepsEveryWindowExact(@TempDir Path dir) throws Exception {
    Map<String, Long> counts = new HashMap<>();
    Map<String, Set<String>> users = new HashMap<>();
    Random random = new Random(7);
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0);
        Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      Topics.create(admin, new NewTopic("grow-events", 2, (short) 1));
      try (TallyApp app = TallyApp.start(new TallyConfig(Map.of(
          "bootstrap.servers", broker.bootstrapServers(),
          "application.id", "grow",
          "state.dir", dir.resolve("state").toString(),
          "metadata.max.age.ms", "1000",
          TallyConfig.EVENTS_TOPIC, "grow-events",
          TallyConfig.RESULTS_TOPIC, "grow-results",
          TallyConfig.DEAD_LETTER_TOPIC, "grow-dead-letters",
          TallyConfig.TOPIC_REPLICATION, "1",
          TallyConfig.WINDOW_SIZE_MS, "1000",
          TallyConfig.WINDOW_GRACE_MS, "500")))) {
        app.awaitRunning(Duration.ofSeconds(60));
        produce(broker, 0, 6_000, random, counts, users);
        admin.createPartitions(Map.of("grow-events", NewPartitions.increaseTo(4))).all().get();
        // Tally looks for new partitions every second; producers, by default, every 5 minutes
        Thread.sleep(2_500);
        produce(broker, 6_000, 12_000, random, counts, users);

        Map<String, MinuteCount> finals = readFinals(broker, counts.keySet());
        assertEquals(counts.keySet(), finals.keySet(), "windows with a final result");
        for (Map.Entry<String, MinuteCount> entry : finals.entrySet()) {
          assertEquals(counts.get(entry.getKey()), entry.getValue().getCount(), entry.getKey());
          assertEquals(users.get(entry.getKey()).size(), entry.getValue().getUniqueUsers(),
              entry.getKey());
        }
      }
    }
  }

  /** Events {@code from..to} ms after the base, 3 per ms of event time, keyed by user. */
  private static void produce(KafkaBroker broker, long from, long to, Random random,
      Map<String, Long> counts, Map<String, Set<String>> users) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
        "bootstrap.servers", broker.bootstrapServers(), "linger.ms", 10),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (long ms = from; ms < to; ms += 1) {
        for (int i = 0; i < 3; i++) {
          String user = "user-" + random.nextInt(300);
          String type = "type-" + random.nextInt(3);
          long time = BASE_MS + ms;
          UserEvent event = new UserEvent("live", type, user, time * 1_000_000L);
          producer.send(new ProducerRecord<>("grow-events", user.getBytes(StandardCharsets.UTF_8),
              EventDecoder.encodeAvro(event)));
          String key = type + "@" + (time / WINDOW_MS * WINDOW_MS);
          counts.merge(key, 1L, Long::sum);
          users.computeIfAbsent(key, k -> new HashSet<>()).add(user);
        }
      }
      producer.flush();
    }
  }

  private static Map<String, MinuteCount> readFinals(KafkaBroker broker, Set<String> expected) {
    Map<String, MinuteCount> finals = new HashMap<>();
    try (KafkaConsumer<MinuteKey, MinuteCount> consumer = new KafkaConsumer<>(Map.of(
        "bootstrap.servers", broker.bootstrapServers(), "group.id", "grow-check",
        "isolation.level", "read_committed", "auto.offset.reset", "earliest"),
        ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteCount().deserializer())) {
      consumer.subscribe(List.of("grow-results"));
      long deadline = System.currentTimeMillis() + 90_000;
      long quietUntil = Long.MAX_VALUE;
      while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
        for (ConsumerRecord<MinuteKey, MinuteCount> record : consumer.poll(Duration.ofMillis(200))) {
          MinuteCount value = record.value();
          if (value.getIsFinal()) {
            String key = value.getEventType() + "@" + value.getWindowStart().toEpochMilli();
            assertTrue(finals.put(key, value) == null, "two final results for " + key);
          }
        }
        if (finals.keySet().containsAll(expected) && quietUntil == Long.MAX_VALUE) {
          quietUntil = System.currentTimeMillis() + 2_000; // a second final would show by then
        }
      }
    }
    return finals;
  }
}
