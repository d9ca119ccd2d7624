package dev.tally.app;

import dev.tally.topology.TallyConfig;
import org.apache.kafka.common.config.ConfigDef;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prints the documented configuration keys. */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = {"Prints Tally's configuration keys with their defaults and documentation.",
        "Any Kafka Streams or client key may be given too; it is passed on unchanged."})
public final class ConfigCommand implements Callable<Integer> {

  @Option(names = "--format", defaultValue = "text",
      description = "text (default), markdown (docs/configuration.md is this), rst or html.")
  String format;

  @Override
  public Integer call() {
    switch (format) {
      case "markdown" -> System.out.print(markdown());
      case "rst" -> System.out.print(TallyConfig.CONFIG.toRst());
      case "html" -> System.out.print(TallyConfig.CONFIG.toHtml());
      case "text" -> TallyConfig.CONFIG.configKeys().values().forEach(key -> System.out.printf(
          "%s%n    %s%n    type: %s, default: %s%s%n%n", key.name, key.documentation,
          key.type.name().toLowerCase(java.util.Locale.ROOT),
          !key.hasDefault() ? "(required)" : "".equals(key.defaultValue) ? "(empty)" : key.defaultValue,
          key.validator == null ? "" : ", valid: " + key.validator));
      default -> {
        System.err.println("unknown --format " + format + ": use text, markdown, rst or html");
        return 2;
      }
    }
    return 0;
  }

  /** The configuration reference in Markdown: a table of every key, in the order they are defined. */
  static String markdown() {
    StringBuilder out = new StringBuilder();
    out.append("# Configuration reference\n\n")
        .append("Written by `./tally config --format markdown > docs/configuration.md`; do not edit ")
        .append("by hand (a test\nchecks that it matches). Every key below can come from the ")
        .append("properties file (`-c FILE`), an\nenvironment variable `TALLY_*` (upper case, dots ")
        .append("as underscores) or a flag (`-s KEY=VALUE`), each\noverriding the one before. Any ")
        .append("other Kafka Streams or client key is passed on unchanged; the ones Tally\nsets ")
        .append("itself, and why, are in [operations.md](operations.md).\n\n")
        .append("| key | default | valid values | meaning |\n|---|---|---|---|\n");
    for (ConfigDef.ConfigKey key : TallyConfig.CONFIG.configKeys().values()) {
      String value = !key.hasDefault() ? "(required)"
          : key.defaultValue == null || "".equals(String.valueOf(key.defaultValue)) ? "(empty)"
          : "`" + key.defaultValue + "`";
      out.append("| `").append(key.name).append("` | ").append(value).append(" | ")
          .append(key.validator == null ? "" : cell(String.valueOf(key.validator))).append(" | ")
          .append(cell(key.documentation)).append(" |\n");
    }
    return out.toString();
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
