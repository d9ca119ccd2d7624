package dev.tally.app;

import dev.tally.topology.TallyApp;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Runs one Tally instance against a Kafka cluster until it is stopped. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Runs one Tally instance until SIGTERM or Ctrl-C, then stops cleanly. Start "
        + "more instances with the same application.id, anywhere, to share the work.",
        "Configuration, each source overriding the one before: defaults, --config FILE, TALLY_* "
        + "environment variables, --set and -b flags. See 'tally config' for the keys."})
public final class RunCommand implements Callable<Integer> {

  @Mixin
  ClusterOptions cluster;

  @Override
  public Integer call() throws InterruptedException {
    return TallyApp.runUntilStopped(cluster.load());
  }
}
