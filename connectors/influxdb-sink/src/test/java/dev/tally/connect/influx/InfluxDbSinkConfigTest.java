package dev.tally.connect.influx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.junit.jupiter.api.Test;

class InfluxDbSinkConfigTest {

  private static Map<String, String> v1() {
    Map<String, String> props = new HashMap<>();
    props.put("influx.api", "v1");
    props.put("influx.url", "http://127.0.0.1:8086");
    props.put("influx.database", "tally");
    return props;
  }

  private static Map<String, String> v2() {
    Map<String, String> props = new HashMap<>();
    props.put("influx.api", "v2");
    props.put("influx.url", "https://influx.example.com/");
    props.put("influx.org", "ops");
    props.put("influx.bucket", "tally");
    props.put("influx.token", "secret");
    return props;
  }

  @Test
  void aMinimalV1ConfigurationIsValidWithDefaults() {
    InfluxDbSinkConfig config = InfluxDbSinkConfig.parse(v1());
    assertEquals(InfluxDbSinkConfig.Api.V1, config.api());
    assertEquals("http://127.0.0.1:8086", config.url());
    assertEquals("tally", config.database());
    assertEquals("", config.retentionPolicy());
    assertEquals(10_000L, config.timeoutMs());
    assertEquals(5_000, config.batchMaxPoints());
    assertEquals(-1, config.backoff().maxRetries());
    assertFalse(config.toleratesErrors());
  }

  @Test
  void aMinimalV2ConfigurationIsValidAndTheTrailingSlashIsDropped() {
    InfluxDbSinkConfig config = InfluxDbSinkConfig.parse(v2());
    assertEquals(InfluxDbSinkConfig.Api.V2, config.api());
    assertEquals("https://influx.example.com", config.url());
    assertEquals("secret", config.token().value());
    assertEquals("InfluxDB v2 https://influx.example.com org 'ops' bucket 'tally'", config.target());
  }

  @Test
  void theApiIsRequiredAndNamed() {
    Map<String, String> props = v1();
    props.remove("influx.api");
    assertEquals(List.of("influx.api"), List.copyOf(InfluxDbSinkConfig.validate(props).keySet()));
    props.put("influx.api", "v3");
    List<String> messages = InfluxDbSinkConfig.validate(props).get("influx.api");
    assertTrue(messages.get(0).contains("must be one of [v1, v2]"), messages.toString());
    props.put("influx.api", " V1 ");
    assertEquals(Map.of(), InfluxDbSinkConfig.validate(props));
  }

  @Test
  void everyV1ProblemIsReportedAtOnceWithItsKey() {
    Map<String, String> props = v1();
    props.remove("influx.database");
    props.put("influx.url", "ftp://host");
    props.put("influx.username", "tally");
    props.put("influx.token", "t");
    props.put("influx.batch.max.points", "1");
    props.put("influx.retry.backoff.ms", "5000");
    props.put("influx.retry.backoff.max.ms", "1000");
    Map<String, List<String>> problems = InfluxDbSinkConfig.validate(props);
    assertEquals(List.of("influx.url", "influx.batch.max.points", "influx.database",
        "influx.password", "influx.token", "influx.retry.backoff.max.ms"),
        List.copyOf(problems.keySet()), problems.toString());
    assertTrue(problems.get("influx.url").get(0).contains("http:// or https://"));
    assertEquals(List.of("is required when influx.api=v1"), problems.get("influx.database"));
    assertEquals(List.of("is required when influx.username is set (HTTP basic authentication "
        + "needs both)"), problems.get("influx.password"));
    assertEquals(List.of("is not used when influx.api=v1; remove it or set influx.api=v2"),
        problems.get("influx.token"));

    ConfigException e = assertThrows(ConfigException.class, () -> InfluxDbSinkConfig.parse(props));
    for (String key : problems.keySet()) {
      assertTrue(e.getMessage().contains(key + ": "), e.getMessage());
    }
  }

  @Test
  void everyV2ProblemIsReportedAtOnceWithItsKey() {
    Map<String, String> props = v2();
    props.remove("influx.org");
    props.remove("influx.token");
    props.put("influx.bucket", "  ");
    props.put("influx.database", "tally");
    props.put("influx.password", "p");
    Map<String, List<String>> problems = InfluxDbSinkConfig.validate(props);
    assertEquals(List.of("influx.org", "influx.bucket", "influx.token", "influx.database",
        "influx.password"), List.copyOf(problems.keySet()), problems.toString());
    assertEquals(List.of("is required when influx.api=v2"), problems.get("influx.token"));
  }

  @Test
  void urlsMustBeHttpWithAHostAndNoQuery() {
    for (String bad : List.of("127.0.0.1:8086", "http://", "http://host:8086/?db=x", "not a url")) {
      Map<String, String> props = v1();
      props.put("influx.url", bad);
      assertTrue(InfluxDbSinkConfig.validate(props).containsKey("influx.url"), bad);
    }
    Map<String, String> props = v1();
    props.put("influx.url", "http://proxy.example.com/influx/");
    assertEquals("http://proxy.example.com/influx", InfluxDbSinkConfig.parse(props).url());
  }

  @Test
  void errorsToleranceIsReadFromConnectsOwnKey() {
    Map<String, String> props = v1();
    props.put("errors.tolerance", "all");
    assertTrue(InfluxDbSinkConfig.parse(props).toleratesErrors());
    props.put("errors.tolerance", "none");
    assertFalse(InfluxDbSinkConfig.parse(props).toleratesErrors());
  }

  @Test
  void theConnectorShowsEveryProblemOnItsKeyForRestValidation() {
    Map<String, String> props = v2();
    props.remove("influx.bucket");
    props.put("influx.retention.policy", "autogen");
    props.put("influx.timeout.ms", "soon");
    Config config = new InfluxDbSinkConnector().validate(props);
    Map<String, List<String>> errors = new HashMap<>();
    for (ConfigValue value : config.configValues()) {
      if (!value.errorMessages().isEmpty()) {
        errors.put(value.name(), value.errorMessages());
      }
    }
    assertEquals(Map.of(
        "influx.bucket", List.of("is required when influx.api=v2"),
        "influx.retention.policy", List.of("is not used when influx.api=v2; remove it or set "
            + "influx.api=v1"),
        "influx.timeout.ms", errors.get("influx.timeout.ms")), errors);
    assertTrue(errors.get("influx.timeout.ms").get(0).contains("soon"));
  }

  @Test
  void everyKeyIsDocumentedInAGroup() {
    InfluxDbSinkConfig.CONFIG.configKeys().values().forEach(key -> {
      assertFalse(key.documentation == null || key.documentation.isBlank(), key.name);
      assertFalse(key.group == null || key.group.isBlank(), key.name);
    });
  }
}
