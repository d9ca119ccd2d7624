package dev.tally.connect.influx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ready-made configurations in {@code connectors/config/} are valid and say the same. */
class ShippedConfigTest {

  @Test
  void thePropertiesFileIsValidAndReadsTheResultsTopicAsBytes() throws Exception {
    Map<String, String> config = InfluxDbSinkEndToEndTest.shippedConfig();
    assertEquals(Map.of(), InfluxDbSinkConfig.validate(config));
    assertEquals("minute-counts,range-counts", config.get("topics"));
    assertEquals(InfluxDbSinkConnector.class.getName(), config.get("connector.class"));
    for (String converter : List.of("key.converter", "value.converter")) {
      assertEquals("org.apache.kafka.connect.converters.ByteArrayConverter", config.get(converter));
    }
  }

  @Test
  void theRestBodyHasTheSameConfiguration() throws Exception {
    JsonNode body = new ObjectMapper().readTree(Path.of("../config/influxdb-sink.json").toFile());
    Map<String, String> json = new HashMap<>();
    body.path("config").fields().forEachRemaining(e -> json.put(e.getKey(), e.getValue().asText()));
    Map<String, String> properties = InfluxDbSinkEndToEndTest.shippedConfig();
    assertEquals(properties.remove("name"), body.path("name").asText());
    assertEquals(properties, json);
    assertTrue(body.path("config").path("name").isMissingNode());
  }
}
