package dev.tally.app;

import dev.tally.topology.TallyConfig;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options of a command that talks to a Kafka cluster: the configuration and the brokers. */
public final class ClusterOptions {

  @Mixin
  ConfigOptions config;

  @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,HOST:PORT]",
      description = "Kafka brokers (same as --set bootstrap.servers=...).")
  String bootstrapServers;

  /** The configuration: the file, the environment, the flags and last {@code -b}, when given. */
  public TallyConfig load() {
    return config.load(Map.of(), bootstrapServers);
  }
}
