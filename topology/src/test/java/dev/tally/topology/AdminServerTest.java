package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin HTTP surface of a running instance, on a real broker. */
class AdminServerTest {

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

      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
          Map.of("bootstrap.servers", broker.bootstrapServers()), new ByteArraySerializer(),
          new ByteArraySerializer())) {
        producer.send(new ProducerRecord<>("events", "u1".getBytes(StandardCharsets.UTF_8),
            EventDecoder.encodeAvro(new UserEvent("live", "rails-5xx", "u1",
                System.currentTimeMillis() * 1_000_000L)))).get();
      }
      String metrics = await(base + "/metrics", body -> body.contains("events_decoded_total")
          && body.contains("format=\"avro\""));
      assertTrue(metrics.contains("tally_stream_threads_alive 1.0"), metrics);
      assertTrue(metrics.contains("kafka_stream"), "no Kafka Streams metrics");

      HttpResponse<String> added = post(base + "/threads/add");
      assertEquals(200, added.statusCode(), added.body());
      assertTrue(get(base + "/threads").body().contains("\"threads\" : 2"));
      await(base + "/metrics", body -> body.contains("tally_stream_threads_alive 2.0"));
      HttpResponse<String> removed = post(base + "/threads/remove");
      assertEquals(200, removed.statusCode(), removed.body());
      assertTrue(get(base + "/threads").body().contains("\"threads\" : 1"));

      String tasks = await(base + "/tasks", body -> body.contains("events-0"));
      assertTrue(tasks.contains("\"lag\""), tasks);
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
