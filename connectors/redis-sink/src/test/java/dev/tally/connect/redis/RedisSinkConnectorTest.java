package dev.tally.connect.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.apache.kafka.connect.sink.SinkConnector;
import org.junit.jupiter.api.Test;

final class RedisSinkConnectorTest {

  @Test
  void aWorkerFindsTheConnectorThroughItsServiceLoaderEntry() {
    List<String> found = ServiceLoader.load(SinkConnector.class).stream()
        .map(provider -> provider.type().getName()).toList();
    assertTrue(found.contains(RedisSinkConnector.class.getName()), found.toString());
  }

  @Test
  void everyTaskGetsTheConnectorsSettings() {
    RedisSinkConnector connector = new RedisSinkConnector();
    Map<String, String> settings = Map.of("topics", "minute-counts", RedisSinkConfig.HOSTS, "127.0.0.1:6380");
    connector.start(settings);
    assertEquals(List.of(settings, settings, settings), connector.taskConfigs(3));
    assertEquals(RedisSinkTask.class, connector.taskClass());
    assertTrue(connector.config().names().contains(RedisSinkConfig.RETENTION_MS));
    assertTrue(connector.alterOffsets(settings, Map.of()));
  }

  @Test
  void theShippedConfigurationsAreValidAndAgree() throws Exception {
    Map<String, String> standalone = ConnectRebuildTest.shippedConfig();
    JsonNode json = new ObjectMapper().readTree(Path.of("..", "config", "redis-sink.json").toFile());
    Map<String, String> distributed = new HashMap<>();
    json.path("config").fields().forEachRemaining(e -> distributed.put(e.getKey(), e.getValue().asText()));
    distributed.put("name", json.path("name").asText());

    for (Map<String, String> config : List.of(standalone, distributed)) {
      assertEquals(RedisSinkConnector.class.getName(), config.get("connector.class"));
      assertEquals("minute-counts,minute-users", config.get("topics"));
      assertEquals("org.apache.kafka.connect.converters.ByteArrayConverter", config.get("value.converter"));
      new RedisSinkConnector().validate(config).configValues().stream()
          .filter(value -> value.name().startsWith("redis."))
          .forEach(value -> assertTrue(value.errorMessages().isEmpty(), value.toString()));
    }
    // only what differs between one local worker and a production cluster
    Map<String, String> differences = new HashMap<>(distributed);
    differences.entrySet().removeIf(e -> e.getValue().equals(standalone.get(e.getKey())));
    assertEquals(Map.of("tasks.max", "2", "errors.deadletterqueue.topic.replication.factor", "3"),
        differences);
    assertEquals(standalone.keySet(), distributed.keySet());
  }
}
