package dev.tally.cli;

import dev.tally.app.ConfigCommand;
import dev.tally.app.GatewayCommand;
import dev.tally.app.GenerationCommand;
import dev.tally.app.ProduceCommand;
import dev.tally.app.QueryCommand;
import dev.tally.app.RunCommand;
import dev.tally.app.ThreadsCommand;
import dev.tally.bench.BenchCommand;
import dev.tally.bench.CatchUpCommand;
import dev.tally.bench.GatewayBenchCommand;
import dev.tally.bench.JmhCommand;
import dev.tally.bench.UniquesBenchCommand;
import dev.tally.reliability.ReliabilityCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The developer's {@code tally} command: the production commands ({@link dev.tally.app.Tally}) and
 * the demo on the local stack, the benchmarks and the fault-injection harness. Run it through the
 * {@code ./tally} launcher at the top of the repository, which builds what is missing first;
 * {@code ./tally COMMAND --help} for each.
 */
@Command(name = "tally", mixinStandardHelpOptions = true,
    versionProvider = dev.tally.app.Tally.Version.class,
    description = "Exact per-minute event counts and distinct users, on Kafka Streams.",
    subcommands = {DemoCommand.class, RunCommand.class, ProduceCommand.class, ConfigCommand.class,
        QueryCommand.class, GatewayCommand.class, ThreadsCommand.class, GenerationCommand.class,
        BenchCommand.class, CatchUpCommand.class, GatewayBenchCommand.class,
        UniquesBenchCommand.class, JmhCommand.class, ReliabilityCommand.class,
        CommandLine.HelpCommand.class})
public final class Tally {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return dev.tally.app.Tally.configure(new CommandLine(new Tally()));
  }
}
