package dev.tally.cli;

import dev.tally.topology.TallyApp;
import dev.tally.topology.TallyConfig;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs one Tally instance against a Kafka cluster until it is stopped. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Runs one Tally instance until SIGTERM or Ctrl-C, then stops cleanly. Start "
        + "more instances with the same application.id, anywhere, to share the work.",
        "Configuration, each source overriding the one before: defaults, --config FILE, TALLY_* "
        + "environment variables, --set and -b flags. See 'tally config' for the keys."})
final class RunCommand implements Callable<Integer> {

  @Mixin
  ConfigOptions config;

  @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,HOST:PORT]",
      description = "Kafka brokers (same as --set bootstrap.servers=...).")
  String bootstrapServers;

  @Override
  public Integer call() throws InterruptedException {
    TallyConfig settings = config.load(Map.of(), bootstrapServers);
    TallyApp app = TallyApp.start(settings);
    CountDownLatch stopped = new CountDownLatch(1);
    app.streams().setStateListener((next, previous) -> {
      if (next == KafkaStreams.State.ERROR || next == KafkaStreams.State.NOT_RUNNING) {
        stopped.countDown();
      }
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      app.close();
      stopped.countDown();
    }, "tally-shutdown"));
    stopped.await();
    return app.streams().state() == KafkaStreams.State.ERROR ? 1 : 0;
  }
}
