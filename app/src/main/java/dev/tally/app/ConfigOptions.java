package dev.tally.app;

import dev.tally.topology.TallyConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The configuration options every command shares: a file and single overrides. */
public final class ConfigOptions {

  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
      description = "A properties file of Tally and Kafka Streams settings (see 'tally config').")
  Path file;

  @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
      description = "One setting, overriding the file and TALLY_* environment variables; repeatable.")
  Map<String, String> overrides = new LinkedHashMap<>();

  /**
   * The configuration: {@code defaults}, then the file, the environment, the flags and last the
   * brokers, when not null.
   */
  public TallyConfig load(Map<String, String> defaults, String bootstrapServers) {
    Map<String, String> values = new LinkedHashMap<>(defaults);
    values.putAll(TallyConfig.read(file, System.getenv()));
    values.putAll(overrides);
    if (bootstrapServers != null) {
      values.put("bootstrap.servers", bootstrapServers);
    }
    return new TallyConfig(values);
  }
}
