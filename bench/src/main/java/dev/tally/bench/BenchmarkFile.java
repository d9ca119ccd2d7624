package dev.tally.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A results file that several benchmark commands write into, each its own section: the section
 * between {@code <!-- NAME: begin -->} and {@code <!-- NAME: end -->} is replaced, or appended when
 * the file has none, and the rest of the file is kept as it is. As a picocli mixin, a command's
 * {@code --output FILE} option and the command line it was given.
 */
final class BenchmarkFile {

  @Option(names = "--output", paramLabel = "FILE",
      description = "Write the results as this command's section of FILE (e.g. BENCHMARKS.md), keeping the rest.")
  Path output;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  /** The arguments this command was given, after its name. */
  List<String> ownArguments() {
    return ownArguments(command);
  }

  /** Writes {@code markdown} as section {@code name} of the {@code --output} file, if one was given. */
  void write(String name, String markdown, PrintStream log) throws IOException {
    if (output != null) {
      writeSection(output, name, markdown);
      log.println("# wrote the " + name + " section of " + output);
    }
  }

  /** The command line's arguments after the command's name, run as a subcommand of {@code tally} or alone. */
  static List<String> ownArguments(CommandSpec spec) {
    List<String> args = spec.commandLine().getParseResult().originalArgs();
    return !args.isEmpty() && args.get(0).equals(spec.name()) ? args.subList(1, args.size()) : args;
  }

  /** Writes {@code markdown} as section {@code name} of {@code file}, creating the file if needed. */
  static void writeSection(Path file, String name, String markdown) throws IOException {
    String begin = "<!-- " + name + ": begin -->";
    String end = "<!-- " + name + ": end -->";
    String section = begin + "\n" + markdown.strip() + "\n" + end + "\n";
    String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    if (from >= 0 && to > from) {
      int after = to + end.length();
      if (after < text.length() && text.charAt(after) == '\n') {
        after++;
      }
      text = text.substring(0, from) + section + text.substring(after);
    } else if (text.isBlank()) {
      text = section;
    } else {
      text = text.stripTrailing() + "\n\n" + section;
    }
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
