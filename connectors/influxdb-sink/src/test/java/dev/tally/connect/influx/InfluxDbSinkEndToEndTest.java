package dev.tally.connect.influx;

import static dev.tally.connect.influx.Results.WORKED_MINUTE_MS;
import static dev.tally.connect.influx.Results.WORKED_MINUTE_NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.localstack.ConnectWorker;
import dev.tally.localstack.InfluxServer;
import dev.tally.localstack.KafkaBroker;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.RangeCount;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end, as ops run it: results and ranges on the topics of a real broker, the shipped connector
 * configuration ({@code connectors/config/influxdb-sink.properties}) on an in-process Connect
 * worker, real influxd behind it; refused and undecodable records in the dead-letter topic.
 */
class InfluxDbSinkEndToEndTest {

  private static final Path SHIPPED_CONFIG = Path.of("../config/influxdb-sink.properties");
  private static final long OLD_MINUTE_MS = 1262304000000L;
  private static final String RANGES_TOPIC = "range-counts";
  private static final Instant HOUR_START = Instant.ofEpochMilli(
      Math.floorDiv(WORKED_MINUTE_MS, 3_600_000L) * 3_600_000L);
  private static final RangeCount HOUR = new RangeCount("live", "rails-5xx", "1h", HOUR_START,
      HOUR_START.plusSeconds(3_600), 812L, true, HOUR_START.plusSeconds(3_700));

  @Test
  void resultsFlowFromTheTopicThroughAWorkerIntoInfluxdb(@TempDir Path dir) throws Exception {
    try (KafkaBroker kafka = KafkaBroker.start(null, 0);
        InfluxServer influx = InfluxServer.start(null, 0)) {
      influx.createDatabase("tally");
      // another writer's float in 2010's shard: the 2010 result's integer conflicts with it
      InfluxQuery.write(influx, "tally", "cumulative_user_event,event_type=old,product=legacy "
          + "value=1.5 " + OLD_MINUTE_MS * 1_000_000L);
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic(Results.TOPIC, 2, (short) 1),
            new NewTopic(RANGES_TOPIC, 1, (short) 1))).all().get();
      }
      List<MinuteCount> results = new ArrayList<>();
      results.add(Results.result("live", "rails-5xx", WORKED_MINUTE_MS, 1, 1, false));
      results.addAll(Results.workedExample());
      MinuteCount conflicting = Results.result("live", "late", OLD_MINUTE_MS, 4, 2, true);
      results.add(conflicting);
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
          "bootstrap.servers", kafka.bootstrapServers()), new ByteArraySerializer(),
          new ByteArraySerializer())) {
        for (MinuteCount result : results) {
          producer.send(new ProducerRecord<>(Results.TOPIC, Results.keyBytes(result),
              Results.bytes(result)));
        }
        producer.send(new ProducerRecord<>(Results.TOPIC, 0, null,
            "garbage".getBytes(StandardCharsets.UTF_8)));
        producer.send(new ProducerRecord<>(RANGES_TOPIC, null, Results.bytes(HOUR)));
      }

      try (ConnectWorker worker = ConnectWorker.start(kafka.bootstrapServers(), dir)) {
        Map<String, String> config = shippedConfig();
        config.put("influx.url", influx.url());
        worker.createConnector(config.get("name"), config);

        List<Point> expected = new ArrayList<>(List.of(
            Point.unique("live", "rails-5xx", 1, WORKED_MINUTE_NS),
            Point.cumulative("live", "rails-5xx", 2, WORKED_MINUTE_NS),
            Point.unique("live", "stuck_in_queue", 1, WORKED_MINUTE_NS),
            Point.cumulative("live", "stuck_in_queue", 1, WORKED_MINUTE_NS),
            Point.unique("automate", "browser_error", 2, WORKED_MINUTE_NS),
            Point.cumulative("automate", "browser_error", 2, WORKED_MINUTE_NS),
            // InfluxDB's partial write kept the conflicting result's other point
            Point.unique("live", "late", 2, OLD_MINUTE_MS * 1_000_000L),
            // the ranges topic's hour, from the same connector
            new Point("unique_user_event_1h", "rails-5xx", "live", 812,
                HOUR.getRangeStart().toEpochMilli() * 1_000_000L)));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<Point> stored = List.of();
        while (System.nanoTime() < deadline && stored.size() < expected.size()) {
          Thread.sleep(200);
          stored = InfluxQuery.points(influx, "tally", "\"product\" != 'legacy'");
        }
        assertEquals(new HashSet<>(expected), new HashSet<>(stored));
        assertEquals(expected.size(), stored.size());

        Map<String, String> deadLetters = deadLetters(kafka, config.get(
            "errors.deadletterqueue.topic.name"), 2);
        assertEquals(Set.of("garbage", "conflict"), deadLetters.keySet(), deadLetters.toString());
        assertTrue(deadLetters.get("conflict").contains("field type conflict"),
            deadLetters.toString());
        assertTrue(worker.connectorStatus(config.get("name")).contains("\"state\":\"RUNNING\""));
      }
    }
  }

  static Map<String, String> shippedConfig() throws Exception {
    Properties properties = new Properties();
    try (Reader in = Files.newBufferedReader(SHIPPED_CONFIG, StandardCharsets.UTF_8)) {
      properties.load(in);
    }
    Map<String, String> config = new HashMap<>();
    properties.forEach((k, v) -> config.put(k.toString(), v.toString()));
    return config;
  }

  /** The dead letters by kind (undecodable "garbage" or a refused "conflict"), with the error. */
  private static Map<String, String> deadLetters(KafkaBroker kafka, String topic, int count) {
    Map<String, String> byKind = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        "bootstrap.servers", kafka.bootstrapServers(), "group.id", "dlq-check",
        "auto.offset.reset", "earliest"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (byKind.size() < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          Header message = record.headers().lastHeader("__connect.errors.exception.message");
          String error = message == null ? "" : new String(message.value(), StandardCharsets.UTF_8);
          String kind = new String(record.value(), StandardCharsets.ISO_8859_1).equals("garbage")
              ? "garbage" : "conflict";
          byKind.put(kind, error);
        }
      }
    }
    return byKind;
  }
}
