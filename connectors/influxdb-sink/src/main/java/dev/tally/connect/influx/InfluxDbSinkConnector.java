package dev.tally.connect.influx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * Kafka Connect sink that writes Tally's final per-minute results (topic {@code minute-counts}) and
 * its hours and days of distinct users (topic {@code range-counts}), {@code ByteArrayConverter} for
 * key and value, to InfluxDB as the lines ops' dashboards read:
 *
 * <pre>
 * unique_user_event,event_type=rails-5xx,product=live value=1i 1478507520000000000
 * cumulative_user_event,event_type=rails-5xx,product=live value=2i 1478507520000000000
 * unique_user_event_1h,event_type=rails-5xx,product=live value=812i 1478505600000000000
 * </pre>
 *
 * <p>{@code influx.api=v1} writes to InfluxDB 1.x's {@code /write}, {@code influx.api=v2} to 2.x
 * and 3.x through influxdb-client-java; {@link InfluxDbSinkConfig} has every key. Run it from a
 * worker's {@code plugin.path} with the directory {@code target/plugin/tally-influxdb-sink/} this
 * module builds, configured like {@code connectors/config/influxdb-sink.properties}.
 */
public final class InfluxDbSinkConnector extends SinkConnector {

  private Map<String, String> props;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    // fails the connector at once, with every problem, rather than each task later
    InfluxDbSinkConfig.parse(props);
    this.props = Map.copyOf(props);
  }

  @Override
  public Class<? extends Task> taskClass() {
    return InfluxDbSinkTask.class;
  }

  /** Every task writes the same way; Connect spreads the topic's partitions over them. */
  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>(maxTasks);
    for (int i = 0; i < maxTasks; i++) {
      configs.add(props);
    }
    return configs;
  }

  @Override
  public void stop() {
  }

  @Override
  public ConfigDef config() {
    return InfluxDbSinkConfig.CONFIG;
  }

  /**
   * The per-key checks of {@link #config()} plus the rules that span keys, each problem on its key,
   * so that {@code PUT /connector-plugins/.../config/validate} shows them all at once.
   */
  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    Config config = super.validate(connectorConfigs);
    Map<String, List<String>> problems = InfluxDbSinkConfig.validate(connectorConfigs);
    for (ConfigValue value : config.configValues()) {
      for (String message : problems.getOrDefault(value.name(), List.of())) {
        if (!value.errorMessages().contains(message)) {
          value.addErrorMessage(message);
        }
      }
    }
    return config;
  }
}
