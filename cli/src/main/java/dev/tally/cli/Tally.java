package dev.tally.cli;

import dev.tally.bench.BenchCommand;
import dev.tally.bench.CatchUpCommand;
import dev.tally.bench.GatewayBenchCommand;
import dev.tally.bench.JmhCommand;
import dev.tally.bench.UniquesBenchCommand;
import dev.tally.reliability.ReliabilityCommand;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tally} command. Run it through the {@code ./tally} launcher at the top of the repository,
 * which builds what is missing first: {@code ./tally demo}, {@code ./tally run}, {@code ./tally produce},
 * {@code ./tally config}; {@code ./tally COMMAND --help} for each.
 */
@Command(name = "tally", mixinStandardHelpOptions = true, versionProvider = Tally.Version.class,
    description = "Exact per-minute event counts and distinct users, on Kafka Streams.",
    subcommands = {DemoCommand.class, RunCommand.class, ProduceCommand.class, ConfigCommand.class,
        QueryCommand.class, GatewayCommand.class, ThreadsCommand.class, GenerationCommand.class, BenchCommand.class,
        CatchUpCommand.class, GatewayBenchCommand.class, UniquesBenchCommand.class,
        JmhCommand.class, ReliabilityCommand.class,
        CommandLine.HelpCommand.class})
public final class Tally {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new Tally()).setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler((exception, command, parsed) -> {
          // a clear line for the user; the stack trace for whoever turns logging up
          command.getErr().println("tally " + command.getCommandName() + ": " + exception.getMessage());
          LoggerFactory.getLogger(Tally.class).debug("{} failed", command.getCommandName(), exception);
          return 1;
        });
  }

  /** The version from the jar's manifest, when there is one. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Tally.class.getPackage().getImplementationVersion();
      return new String[] {"tally " + (version == null ? "(development build)" : version)};
    }
  }
}
