package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.localstack.KafkaBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin HTTP surface of a running instance, on a real broker. */
class AdminServerTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void healthReadinessMetricsThreadsAndTasks(@TempDir Path dir) throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(null, 0);
        TallyApp app = TallyApp.start(new TallyConfig(Map.of(
            "bootstrap.servers", broker.bootstrapServers(),
            "application.id", "admin-test",
            "state.dir", dir.toString(),
            TallyConfig.TOPIC_REPLICATION, "1",
            TallyConfig.TOPIC_PARTITIONS, "2",
            TallyConfig.AGGREGATION_PARTITIONS, "2",
            TallyConfig.ADMIN_HOST, "127.0.0.1",
            TallyConfig.ADMIN_PORT, "0")))) {
      String base = "http://127.0.0.1:" + app.adminPort().orElseThrow();
      assertEquals(200, get(base + "/health").statusCode());
      app.awaitRunning(Duration.ofSeconds(60));
      assertEquals(200, get(base + "/ready").statusCode());

      long eventMs = System.currentTimeMillis();
      int partition;
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
          Map.of("bootstrap.servers", broker.bootstrapServers()), new ByteArraySerializer(),
          new ByteArraySerializer())) {
        partition = producer.send(new ProducerRecord<>("events", "u1".getBytes(StandardCharsets.UTF_8),
            EventDecoder.encodeAvro(new UserEvent("live", "rails-5xx", "u1",
                eventMs * 1_000_000L)))).get().partition();
      }
      String metrics = await(base + "/metrics", body -> body.contains("events_decoded_total")
          && body.contains("format=\"avro\""));
      assertTrue(metrics.contains("tally_stream_threads_alive 1.0"), metrics);
      assertTrue(metrics.contains("kafka_stream"), "no Kafka Streams metrics");

      // the clocks: the partition with the event drained at its event time, the other one drained
      // without a clock; the aggregating partitions' low watermark past the event
      // (before threads come and go: an input task knows event times since it started)
      JsonNode clocks = JSON.readTree(await(base + "/tasks", body -> {
        try {
          JsonNode tree = JSON.readTree(body);
          return tree.get("inputClocks").size() == 2
              && tree.get("inputClocks").findValues("drained").stream().allMatch(JsonNode::asBoolean)
              && tree.get("lowWatermarks").size() == 2
              && tree.get("lowWatermarks").findValues("lowWatermark").stream()
                  .allMatch(JsonNode::isTextual);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }));
      for (JsonNode clock : clocks.get("inputClocks")) {
        boolean hasEvent = clock.get("partition").asInt() == partition;
        assertEquals(hasEvent ? Instant.ofEpochMilli(eventMs).toString() : null,
            clock.get("eventTime").isNull() ? null : clock.get("eventTime").asText(), clock.toString());
        assertTrue(clock.get("drainedSince").isTextual(), clock.toString());
      }
      for (JsonNode low : clocks.get("lowWatermarks")) {
        assertTrue(!Instant.parse(low.get("lowWatermark").asText()).isBefore(
            Instant.ofEpochMilli(eventMs)), low.toString());
      }
      // the events topic's end offsets are the brokers': never below what was committed
      for (JsonNode thread : clocks.get("threads")) {
        for (JsonNode task : thread.get("active")) {
          JsonNode offsets = task.get("partitions").get("events-" + partition);
          if (offsets != null && !offsets.get("committed").isNull()) {
            assertEquals(1, offsets.get("end").asLong(), offsets.toString());
            assertTrue(offsets.get("committed").asLong() <= 1, offsets.toString());
          }
        }
      }
      HttpResponse<String> added = post(base + "/threads/add");
      assertEquals(200, added.statusCode(), added.body());
      assertTrue(get(base + "/threads").body().contains("\"threads\" : 2"));
      await(base + "/metrics", body -> body.contains("tally_stream_threads_alive 2.0"));
      HttpResponse<String> removed = post(base + "/threads/remove");
      assertEquals(200, removed.statusCode(), removed.body());
      assertTrue(get(base + "/threads").body().contains("\"threads\" : 1"));

      String tasks = await(base + "/tasks", body -> body.contains("events-0"));
      assertTrue(tasks.contains("\"lag\""), tasks);

      String gauges = await(base + "/metrics", body -> body.contains("input_drained")
          && body.contains("low_watermark_ms") && body.contains("held_back_by_partition"));
      assertTrue(gauges.contains("input_event_time_ms"), gauges);
      assertEquals(404, get(base + "/nothing").statusCode());
    }
  }

  private String await(String url, Predicate<String> condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      body = get(url).body();
      if (condition.test(body)) {
        return body;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("condition not met on " + url + ":\n" + body);
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }
}
