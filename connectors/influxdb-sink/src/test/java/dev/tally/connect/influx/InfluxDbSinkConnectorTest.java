package dev.tally.connect.influx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.sink.SinkConnector;
import org.junit.jupiter.api.Test;

class InfluxDbSinkConnectorTest {

  private static final Map<String, String> V1 = Map.of("influx.api", "v1",
      "influx.url", "http://127.0.0.1:8086", "influx.database", "tally", "topics", "minute-counts");

  @Test
  void aWorkerFindsItThroughItsServiceEntry() {
    List<String> found = ServiceLoader.load(SinkConnector.class).stream()
        .map(provider -> provider.type().getName()).toList();
    assertTrue(found.contains("dev.tally.connect.influx.InfluxDbSinkConnector"), found.toString());
  }

  @Test
  void everyTaskGetsTheConnectorsConfiguration() {
    InfluxDbSinkConnector connector = new InfluxDbSinkConnector();
    connector.start(V1);
    assertEquals(List.of(V1, V1, V1), connector.taskConfigs(3));
    assertEquals(InfluxDbSinkTask.class, connector.taskClass());
  }

  @Test
  void anInvalidConfigurationFailsTheConnectorAtStart() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> new InfluxDbSinkConnector().start(Map.of("influx.api", "v2", "influx.url", "x")));
    assertTrue(e.getMessage().contains("influx.url: ") && e.getMessage().contains("influx.org: "),
        e.getMessage());
  }

  @Test
  void theVersionComesFromTheBuild() {
    assertNotEquals("unknown", new InfluxDbSinkConnector().version());
    assertEquals(new InfluxDbSinkConnector().version(), new InfluxDbSinkTask().version());
  }
}
