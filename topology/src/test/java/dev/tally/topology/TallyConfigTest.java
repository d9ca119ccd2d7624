package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.topology.time.Generation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TallyConfigTest {

  @Test
  void eachSourceOverridesTheOneBefore(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("tally.properties");
    Files.writeString(file, """
        bootstrap.servers=file:9092
        tally.window.grace.ms=1000
        tally.idle.timeout.ms=2000
        num.stream.threads=3
        """);
    TallyConfig config = TallyConfig.load(file,
        Map.of("TALLY_WINDOW_GRACE_MS", "3000", "TALLY_NUM_STREAM_THREADS", "4", "HOME", "/root",
            "TALLY_GATEWAY_TOKENS", "secret", "TALLY_LOG_LEVEL", "DEBUG"),
        Map.of("tally.idle.timeout.ms", "5000"));

    assertEquals(3000L, config.getLong(TallyConfig.WINDOW_GRACE_MS));
    assertEquals(5000L, config.getLong(TallyConfig.IDLE_TIMEOUT_MS));
    assertEquals(60_000L, config.getLong(TallyConfig.WINDOW_SIZE_MS));
    Properties streams = config.streamsProperties();
    assertEquals("4", streams.get("num.stream.threads"));
    assertEquals("file:9092", streams.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
    assertEquals(StreamsConfig.EXACTLY_ONCE_V2, streams.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    assertTrue(streams.keySet().stream().noneMatch(key -> key.toString().startsWith("tally.")));
    // the launcher's variables and the gateway's secrets are no settings
    assertTrue(config.originals().keySet().stream().noneMatch(key -> key.startsWith("gateway.") || key.startsWith("log.")),
        config.originals().toString());
  }

  @Test
  void clientDefaultsGiveWayToTheUsersKeys() {
    Properties defaults = new TallyConfig(Map.of("bootstrap.servers", "x:1")).streamsProperties();
    assertEquals(256 * 1024, defaults.get("batch.size"));
    assertEquals(10L, defaults.get("retry.backoff.ms"));
    assertEquals(500, defaults.get("heartbeat.interval.ms"));
    assertEquals(300L, defaults.get("commit.interval.ms"));
    assertEquals(10, defaults.get("restore.consumer.fetch.max.wait.ms"));
    assertEquals(10L, defaults.get("poll.ms"));
    assertEquals(100, defaults.get("buffered.records.per.partition"));
    assertEquals(true, defaults.get("processing.exception.handler.global.enabled"));
    assertEquals(true, defaults.get("main.consumer.processing.exception.handler.global.enabled"));

    Properties given = new TallyConfig(Map.of("bootstrap.servers", "x:1", "batch.size", "16384",
        "retry.backoff.ms", "100", "heartbeat.interval.ms", "3000",
        "restore.consumer.fetch.max.wait.ms", "500", "poll.ms", "100",
        "buffered.records.per.partition", "1000")).streamsProperties();
    assertEquals("16384", given.get("batch.size"));
    assertEquals("100", given.get("retry.backoff.ms"));
    assertEquals("3000", given.get("heartbeat.interval.ms"));
    assertEquals("500", given.get("restore.consumer.fetch.max.wait.ms"));
    assertEquals("100", given.get("poll.ms"));
    assertEquals("1000", given.get("buffered.records.per.partition"));
  }

  @Test
  void environmentVariablesMapToKeys() {
    assertEquals("tally.window.size.ms", TallyConfig.keyOf("TALLY_WINDOW_SIZE_MS"));
    assertEquals("bootstrap.servers", TallyConfig.keyOf("TALLY_BOOTSTRAP_SERVERS"));
    assertEquals("processing.guarantee", TallyConfig.keyOf("TALLY_PROCESSING_GUARANTEE"));
  }

  @Test
  void tallyKeysItDoesNotDefineAreNamedNotPassedOn() {
    TallyConfig config = new TallyConfig(Map.of("bootstrap.servers", "x:1",
        "tally.window.grace.m", "5000", "tally.topic.events", "in", "linger.ms", "7"));
    assertEquals(List.of("tally.window.grace.m"), config.unknownKeys());
    assertFalse(config.streamsProperties().containsKey("tally.window.grace.m"));
    assertEquals("7", config.streamsProperties().get("linger.ms"));
  }

  @Test
  void badValuesNameTheKeyAndWhatIsAllowed() {
    ConfigException missing = assertThrows(ConfigException.class, () -> new TallyConfig(Map.of()));
    assertTrue(missing.getMessage().contains("bootstrap.servers"), missing.getMessage());

    ConfigException negative = assertThrows(ConfigException.class, () -> new TallyConfig(
        Map.of("bootstrap.servers", "x:1", TallyConfig.WINDOW_GRACE_MS, "-5")));
    assertTrue(negative.getMessage().contains(TallyConfig.WINDOW_GRACE_MS), negative.getMessage());
    assertTrue(negative.getMessage().contains("at least 0"), negative.getMessage());

    ConfigException replication = assertThrows(ConfigException.class, () -> new TallyConfig(
        Map.of("bootstrap.servers", "x:1", TallyConfig.TOPIC_REPLICATION, "0")));
    assertTrue(replication.getMessage().contains("-1 (the broker's default) or at least 1"),
        replication.getMessage());

    ConfigException notANumber = assertThrows(ConfigException.class, () -> new TallyConfig(
        Map.of("bootstrap.servers", "x:1", TallyConfig.AGGREGATION_PARTITIONS, "many")));
    assertTrue(notANumber.getMessage().contains(TallyConfig.AGGREGATION_PARTITIONS));

    // KIP-1071's protocol has Kafka Streams build its consumers past Tally's client supplier
    ConfigException protocol = assertThrows(ConfigException.class, () -> new TallyConfig(
        Map.of("bootstrap.servers", "x:1", "group.protocol", "Streams")));
    assertTrue(protocol.getMessage().contains("Invalid value Streams for configuration "
        + "group.protocol: Tally needs the classic group protocol"), protocol.getMessage());
    assertEquals("classic", new TallyConfig(Map.of("bootstrap.servers", "x:1", "group.protocol",
        "classic")).streamsProperties().get("group.protocol"));
  }

  @Test
  void generationBoundsAreWindowStartsInEitherNotation() {
    assertEquals(Generation.UNBOUNDED, new TallyConfig(Map.of("bootstrap.servers", "x:1")).generation());
    TallyConfig config = new TallyConfig(Map.of("bootstrap.servers", "x:1",
        TallyConfig.GENERATION_FROM, "1764579600000",
        TallyConfig.GENERATION_UNTIL, "2025-12-01T10:00:00Z"));
    assertEquals(new Generation(1764579600000L, 1764583200000L), config.generation());
    assertEquals(config.generation(), config.topologySettings(4).generation());

    ConfigException unaligned = assertThrows(ConfigException.class, () -> new TallyConfig(Map.of(
        "bootstrap.servers", "x:1", TallyConfig.GENERATION_UNTIL, "1764579630000")));
    assertTrue(unaligned.getMessage().contains(TallyConfig.GENERATION_UNTIL)
        && unaligned.getMessage().contains("multiple of " + TallyConfig.WINDOW_SIZE_MS)
        && unaligned.getMessage().contains("1764579600000"), unaligned.getMessage());

    ConfigException empty = assertThrows(ConfigException.class, () -> new TallyConfig(Map.of(
        "bootstrap.servers", "x:1", TallyConfig.GENERATION_FROM, "1764583200000",
        TallyConfig.GENERATION_UNTIL, "1764579600000")));
    assertTrue(empty.getMessage().contains("must be after " + TallyConfig.GENERATION_FROM),
        empty.getMessage());

    ConfigException garbled = assertThrows(ConfigException.class, () -> new TallyConfig(Map.of(
        "bootstrap.servers", "x:1", TallyConfig.GENERATION_FROM, "tomorrow")));
    assertTrue(garbled.getMessage().contains(TallyConfig.GENERATION_FROM)
        && garbled.getMessage().contains("ISO-8601"), garbled.getMessage());
  }

  @Test
  void theShippedPropertiesFileDocumentsEveryKeyWithItsDefault() throws IOException {
    Path file = Path.of(System.getProperty("tally.config.file", "../config/tally.properties"));
    Properties shipped = new Properties();
    try (var in = Files.newInputStream(file)) {
      shipped.load(in);
    }
    for (var key : TallyConfig.CONFIG.configKeys().values()) {
      assertTrue(shipped.containsKey(key.name), key.name + " is missing from " + file);
      if (key.hasDefault()) {
        assertEquals(String.valueOf(key.defaultValue), shipped.getProperty(key.name),
            "default of " + key.name + " in " + file);
      }
    }
    TallyConfig config = TallyConfig.load(file, Map.of(), Map.of());
    assertEquals(StreamsConfig.EXACTLY_ONCE_V2,
        config.streamsProperties().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
  }
}
