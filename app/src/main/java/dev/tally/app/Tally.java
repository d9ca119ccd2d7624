package dev.tally.app;

import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The production {@code tally} command, what the image runs: the topology ({@code run}), the
 * gateway, event production, the configuration reference, queries of the Redis mirror, stream
 * threads at runtime and generation hand-overs. The developer command ({@code dev.tally.cli.Tally},
 * run through the {@code ./tally} launcher) adds the demo, the benchmarks and the harness.
 */
@Command(name = "tally", mixinStandardHelpOptions = true, versionProvider = Tally.Version.class,
    description = "Exact per-minute event counts and distinct users, on Kafka Streams.",
    subcommands = {RunCommand.class, ProduceCommand.class, ConfigCommand.class, QueryCommand.class,
        GatewayCommand.class, ThreadsCommand.class, GenerationCommand.class,
        CommandLine.HelpCommand.class})
public final class Tally {

  /** The production commands, in the order the usage lists them. */
  public static final Class<?>[] COMMANDS = {RunCommand.class, ProduceCommand.class,
      ConfigCommand.class, QueryCommand.class, GatewayCommand.class, ThreadsCommand.class,
      GenerationCommand.class};

  public static void main(String[] args) {
    System.exit(configure(new CommandLine(new Tally())).execute(args));
  }

  /**
   * Tally's conventions on a command line: enum values in any case, and a failure as one clear line
   * for the user (the stack trace for whoever turns logging up).
   */
  public static CommandLine configure(CommandLine line) {
    return line.setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler((exception, command, parsed) -> {
          command.getErr().println("tally " + command.getCommandName() + ": " + exception.getMessage());
          LoggerFactory.getLogger(Tally.class).debug("{} failed", command.getCommandName(), exception);
          return 1;
        });
  }

  /** The version from the jar's manifest, when there is one. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Tally.class.getPackage().getImplementationVersion();
      return new String[] {"tally " + (version == null ? "(development build)" : version)};
    }
  }
}
