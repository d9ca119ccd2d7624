package dev.tally.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.InfluxDBClientFactory;
import com.influxdb.client.WriteApiBlocking;
import com.influxdb.client.domain.WritePrecision;
import dev.tally.decode.UserEvent;
import dev.tally.localstack.KafkaBroker;
import dev.tally.schema.MinuteCount;
import dev.tally.topology.ResultSerdes;
import dev.tally.topology.TallyApp;
import dev.tally.topology.TallyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;
import org.influxdb.InfluxDB;
import org.influxdb.InfluxDBFactory;
import org.influxdb.dto.BatchPoints;
import org.influxdb.dto.Point;
import org.influxdb.dto.Pong;
import org.influxdb.dto.Query;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real InfluxDB clients writing through the gateway, as their users would with only the URL
 * changed: influxdb-java (the 1.x API, user and password) and influxdb-client-java (the 2.x API, a
 * token), then Tally counting what they wrote. Every event in the events topic exactly once, and
 * every minute's counts exact, the worked example's among them.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GatewayClientsTest {

  private static final long WORKED_EXAMPLE_NS = 1478507534415525888L;
  /** 2026-03-14T15:09:00Z: minutes of generated traffic from here. */
  private static final long BASE_MS = Instant.parse("2026-03-14T15:09:00Z").toEpochMilli();

  @TempDir
  Path dir;

  private record Series(String product, String eventType, long windowStartMs) {}

  @Test
  void influxdbJavaAndInfluxdbClientJavaWriteThroughTheGatewayAndTallyCountsExactly() throws Exception {
    Path credentials = dir.resolve("credentials");
    Files.writeString(credentials, "user telegraf s3cret\ntoken tally-token events\n");
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0)) {
      GatewayTest.Topics topics = GatewayTest.Topics.create(kafka.admin());
      List<UserEvent> sent = new ArrayList<>();
      try (Gateway gateway = Gateway.start(GatewayTest.settings(kafka, topics,
          Credentials.load(credentials, Map.of()), GatewaySettings.DEFAULT_MAX_BODY_BYTES))) {
        String url = "http://127.0.0.1:" + gateway.httpPort();
        try (InfluxDB influx = InfluxDBFactory.connect(url, "telegraf", "s3cret")) {
          Pong pong = influx.ping();
          assertTrue(pong.isGood(), pong.toString());
          assertEquals(Gateway.INFLUXDB_VERSION, pong.getVersion());
          influx.query(new Query("CREATE DATABASE events"));
          sent.addAll(writeV1(influx));
        }
        try (InfluxDBClient client = InfluxDBClientFactory.create(url, "tally-token".toCharArray(), "org", "events")) {
          assertTrue(client.ping());
          sent.addAll(writeV2(client.getWriteApiBlocking()));
        }
      }

      List<UserEvent> written = GatewayTest.events(GatewayTest.readAll(kafka, topics.events(), sent.size()));
      assertEquals(sorted(sent), sorted(written), "the events topic holds what the clients wrote, each once");

      Map<Series, long[]> expected = expected(sent);
      Map<Series, MinuteCount> finals = tally(kafka, topics, expected.keySet());
      Map<Series, String> expectedText = new TreeMap<>(java.util.Comparator.comparing(Series::toString));
      Map<Series, String> actualText = new TreeMap<>(java.util.Comparator.comparing(Series::toString));
      expected.forEach((series, counts) -> expectedText.put(series, counts[1] + "/" + counts[0]));
      finals.forEach((series, value) -> actualText.put(series, value.getUniqueUsers() + "/" + value.getCount()));
      assertEquals(expectedText, actualText, "unique/cumulative per series and minute");
      long worked = Math.floorDiv(WORKED_EXAMPLE_NS / 1_000_000, 60_000) * 60_000;
      assertEquals("1/2", actualText.get(new Series("live", "rails-5xx", worked)));
      assertEquals("1/1", actualText.get(new Series("live", "stuck_in_queue", worked)));
      assertEquals("2/2", actualText.get(new Series("automate", "browser_error", worked)));
    }
  }

  /** The worked example as points, then 3 minutes of traffic in batches of 500 at millisecond precision. */
  private static List<UserEvent> writeV1(InfluxDB influx) {
    List<UserEvent> sent = new ArrayList<>();
    String[][] worked = {{"rails-5xx", "live", "testusername1"}, {"stuck_in_queue", "live", "testusername2"},
        {"browser_error", "automate", "testusername3"}, {"browser_error", "automate", "testusername4"},
        {"rails-5xx", "live", "testusername1"}};
    BatchPoints.Builder example = BatchPoints.database("events").precision(TimeUnit.NANOSECONDS);
    for (int i = 0; i < worked.length; i++) {
      long ns = WORKED_EXAMPLE_NS + (i == 4 ? 2 : 0);
      example.point(Point.measurement("events").time(ns, TimeUnit.NANOSECONDS)
          .tag("event_type", worked[i][0]).tag("product", worked[i][1]).addField("value", worked[i][2]).build());
      sent.add(new UserEvent(worked[i][1], worked[i][0], worked[i][2], ns));
    }
    influx.write(example.build());
    List<UserEvent> traffic = generated(new Random(1), 4_000, BASE_MS, TimeUnit.MILLISECONDS);
    for (int batch = 0; batch < 8; batch++) {
      BatchPoints.Builder points = BatchPoints.database("events").retentionPolicy("autogen")
          .precision(TimeUnit.MILLISECONDS);
      for (int i = 0; i < 500; i++) {
        UserEvent event = traffic.get(batch * 500 + i);
        points.point(Point.measurement("events").time(event.timestampNs() / 1_000_000, TimeUnit.MILLISECONDS)
            .tag("event_type", event.eventType()).tag("product", event.product())
            .addField("value", event.username()).build());
        sent.add(event);
      }
      influx.write(points.build());
    }
    return sent;
  }

  /** The next 3 minutes of traffic as line protocol, batches of 1,000 at microsecond precision. */
  private static List<UserEvent> writeV2(WriteApiBlocking write) {
    List<UserEvent> sent = new ArrayList<>();
    List<UserEvent> traffic = generated(new Random(2), 4_000, BASE_MS + 180_000, TimeUnit.MICROSECONDS);
    for (int batch = 0; batch < 4; batch++) {
      List<String> lines = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        UserEvent event = traffic.get(batch * 1_000 + i);
        lines.add("events,event_type=" + event.eventType() + ",product=" + event.product()
            + " value=\"" + event.username() + "\" " + event.timestampNs() / 1_000);
        sent.add(event);
      }
      write.writeRecords(WritePrecision.US, lines);
    }
    return sent;
  }

  /**
   * Events over 3 minutes from {@code startMs} in time order (Tally's grace is 10 s), at the
   * precision's resolution: 6 series, users repeating (80 of them).
   */
  private static List<UserEvent> generated(Random random, int count, long startMs, TimeUnit precision) {
    List<UserEvent> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long ns = TimeUnit.MILLISECONDS.toNanos(startMs) + (long) (random.nextDouble() * 180e9);
      ns = precision.toNanos(precision.convert(ns, TimeUnit.NANOSECONDS));
      String product = random.nextBoolean() ? "live" : "automate";
      String eventType = List.of("rails-5xx", "browser_error", "stuck_in_queue").get(random.nextInt(3));
      events.add(new UserEvent(product, eventType, "user" + random.nextInt(80), ns));
    }
    events.sort(java.util.Comparator.comparingLong(UserEvent::timestampNs));
    return events;
  }

  private static Map<Series, long[]> expected(List<UserEvent> events) {
    Map<Series, long[]> counts = new HashMap<>();
    Map<Series, Set<String>> users = new HashMap<>();
    for (UserEvent event : events) {
      long ms = Math.floorDiv(event.timestampNs(), 1_000_000L);
      Series series = new Series(event.product(), event.eventType(), Math.floorDiv(ms, 60_000) * 60_000);
      counts.computeIfAbsent(series, s -> new long[2])[0]++;
      users.computeIfAbsent(series, s -> new HashSet<>()).add(event.username());
    }
    users.forEach((series, names) -> counts.get(series)[1] = names.size());
    return counts;
  }

  private static List<String> sorted(List<UserEvent> events) {
    return events.stream().map(UserEvent::toString).sorted().toList();
  }

  /** Runs Tally on the events topic until every expected window's final is out; returns the finals. */
  private Map<Series, MinuteCount> tally(KafkaBroker kafka, GatewayTest.Topics topics, Set<Series> expected)
      throws Exception {
    Map<String, Object> values = new HashMap<>();
    values.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    values.put(StreamsConfig.APPLICATION_ID_CONFIG, "tally-gateway-clients");
    values.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
    values.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    values.put(TallyConfig.EVENTS_TOPIC, topics.events());
    values.put(TallyConfig.RESULTS_TOPIC, topics.events() + "-results");
    values.put(TallyConfig.DEAD_LETTER_TOPIC, topics.deadLetters());
    values.put(TallyConfig.AGGREGATION_PARTITIONS, "2");
    values.put(TallyConfig.TOPIC_REPLICATION, "1");
    values.put(TallyConfig.IDLE_TIMEOUT_MS, "1000");
    Map<Series, MinuteCount> finals = new HashMap<>();
    try (TallyApp app = TallyApp.start(new TallyConfig(values));
        KafkaConsumer<dev.tally.schema.MinuteKey, MinuteCount> consumer = new KafkaConsumer<>(
            Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
            ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteCount().deserializer())) {
      String results = topics.events() + "-results";
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (consumer.assignment().isEmpty() && System.nanoTime() < deadline) {
        if (!consumer.partitionsFor(results).isEmpty()) {
          List<TopicPartition> partitions = consumer.partitionsFor(results).stream()
              .map(info -> new TopicPartition(results, info.partition())).toList();
          consumer.assign(partitions);
          consumer.seekToBeginning(partitions);
        }
      }
      while (!finals.keySet().containsAll(expected) && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(record -> {
          MinuteCount value = record.value();
          if (value.getIsFinal()) {
            Series series = new Series(value.getProduct(), value.getEventType(), value.getWindowStart().toEpochMilli());
            MinuteCount previous = finals.put(series, value);
            assertTrue(previous == null, () -> "two finals for " + series);
          }
        });
      }
    }
    return finals;
  }
}
