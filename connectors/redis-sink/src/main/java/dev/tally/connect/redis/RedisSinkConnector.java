package dev.tally.connect.redis;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * Kafka Connect sink that mirrors Tally's results topic ({@code minute-counts}: Avro single-object
 * {@code MinuteCount} values, read with {@code ByteArrayConverter}) into Redis, for range and top-N
 * queries: see {@link KeyLayout} for the keys and {@link RedisSinkConfig} for the settings.
 *
 * <p>Install: put {@code target/plugin/tally-redis-sink/} (or unzip {@code target/plugin.zip})
 * under a worker's {@code plugin.path}; configurations to start from are in
 * {@code connectors/config/redis-sink.properties} (standalone worker) and
 * {@code redis-sink.json} (distributed, REST API).
 *
 * <p>The mirror is a pure function of the topic: deleting the connector's offsets ({@code DELETE
 * /connectors/NAME/offsets} on a stopped connector) and resuming it rebuilds it.
 */
public final class RedisSinkConnector extends SinkConnector {

  /** This plugin's version, from the jar's manifest. */
  static final String VERSION = Optional.ofNullable(
      RedisSinkConnector.class.getPackage().getImplementationVersion()).orElse("0.1.0-SNAPSHOT");

  private Map<String, String> settings;

  @Override
  public String version() {
    return VERSION;
  }

  @Override
  public void start(Map<String, String> props) {
    RedisSinkConfig.parse(props);
    settings = Map.copyOf(props);
  }

  @Override
  public Class<? extends Task> taskClass() {
    return RedisSinkTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    // every task writes whatever partitions Connect assigns it: all take the same settings
    return Collections.nCopies(maxTasks, settings);
  }

  @Override
  public void stop() {
    settings = null;
  }

  @Override
  public ConfigDef config() {
    return RedisSinkConfig.CONFIG;
  }

  /** Connect's per-key validation, plus the rules between keys, each attached to its key. */
  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    Config config = super.validate(connectorConfigs);
    boolean keysValid = config.configValues().stream()
        .filter(value -> RedisSinkConfig.CONFIG.names().contains(value.name()))
        .allMatch(value -> value.errorMessages().isEmpty());
    if (keysValid) {
      for (RedisSinkConfig.Problem problem : new RedisSinkConfig(connectorConfigs).problems()) {
        config.configValues().stream().filter(value -> value.name().equals(problem.key()))
            .findFirst().ifPresent(value -> value.addErrorMessage(problem.message()));
      }
    }
    return config;
  }

  /**
   * Offsets live in Kafka only (the consumer group), nothing in Redis: resetting them through the
   * REST API is all a rebuild needs.
   */
  @Override
  public boolean alterOffsets(Map<String, String> connectorConfig, Map<TopicPartition, Long> offsets) {
    return true;
  }
}
