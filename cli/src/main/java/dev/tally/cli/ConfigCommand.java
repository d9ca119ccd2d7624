package dev.tally.cli;

import dev.tally.topology.TallyConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prints the documented configuration keys. */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = {"Prints Tally's configuration keys with their defaults and documentation.",
        "Any Kafka Streams or client key may be given too; it is passed on unchanged."})
final class ConfigCommand implements Callable<Integer> {

  @Option(names = "--format", defaultValue = "text",
      description = "text (default), rst or html.")
  String format;

  @Override
  public Integer call() {
    switch (format) {
      case "rst" -> System.out.print(TallyConfig.CONFIG.toRst());
      case "html" -> System.out.print(TallyConfig.CONFIG.toHtml());
      case "text" -> TallyConfig.CONFIG.configKeys().values().forEach(key -> System.out.printf(
          "%s%n    %s%n    type: %s, default: %s%s%n%n", key.name, key.documentation,
          key.type.name().toLowerCase(java.util.Locale.ROOT),
          !key.hasDefault() ? "(required)" : "".equals(key.defaultValue) ? "(empty)" : key.defaultValue,
          key.validator == null ? "" : ", valid: " + key.validator));
      default -> {
        System.err.println("unknown --format " + format + ": use text, rst or html");
        return 2;
      }
    }
    return 0;
  }
}
