package dev.tally.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.topology.TallyConfig;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The production command as the image runs it: its commands, and a class path without what only
 * developers need (this module's tests use nothing beyond it, so its test class path is the
 * image's plus JUnit).
 */
class ProductionCommandTest {

  @Test
  void itHasTheProductionCommandsAndNoDeveloperOnes() {
    Set<String> commands = new TreeSet<>(new CommandLine(new Tally()).getSubcommands().keySet());
    assertEquals(new TreeSet<>(List.of("config", "gateway", "generation", "help", "produce",
        "query", "run", "threads")), commands);
    assertEveryCommandHasHelp(new CommandLine(new Tally()), List.of());
  }

  /** {@code --help} works on every command and subcommand, all the way down. */
  private static void assertEveryCommandHasHelp(CommandLine line, List<String> path) {
    line.getSubcommands().forEach((name, sub) -> {
      if (name.equals("help")) {
        return;
      }
      List<String> args = new ArrayList<>(path);
      args.add(name);
      List<String> withHelp = new ArrayList<>(args);
      withHelp.add("--help");
      java.io.StringWriter out = new java.io.StringWriter();
      CommandLine fresh = Tally.configure(new CommandLine(new Tally()));
      fresh.setOut(new java.io.PrintWriter(out));
      fresh.setErr(new java.io.PrintWriter(out));
      assertEquals(0, fresh.execute(withHelp.toArray(String[]::new)), args + ": " + out);
      assertTrue(out.toString().startsWith("Usage: tally " + String.join(" ", args)),
          args + ": " + out);
      assertEveryCommandHasHelp(sub, args);
    });
  }

  @Test
  void theClassPathHasNoBrokerConnectRuntimeBenchmarkOrHarness() {
    List<String> found = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String name = Path.of(entry).getFileName().toString();
      for (String unwanted : List.of("kafka_2.13", "kafka-server", "kafka-storage",
          "kafka-metadata", "kafka-raft", "connect-runtime", "jmh-core", "tally-bench",
          "tally-reliability", "tally-local-stack", "tally-test-kit", "flink")) {
        if (name.startsWith(unwanted) || entry.contains("/" + unwanted + "/")) {
          found.add(name);
        }
      }
    }
    assertEquals(List.of(), found, "developer-only jars on the production class path");
    assertTrue(System.getProperty("java.class.path").contains("kafka-streams"),
        "not a class path to check: " + System.getProperty("java.class.path"));
  }

  /** docs/configuration.md is what {@code tally config --format markdown} prints now. */
  @Test
  void theConfigurationReferenceIsUpToDate() throws Exception {
    String written = Files.readString(Path.of("..", "docs", "configuration.md"));
    assertEquals(ConfigCommand.markdown(), written, "docs/configuration.md is out of date: run "
        + "./tally config --format markdown > docs/configuration.md");
    for (String key : TallyConfig.CONFIG.names()) {
      assertTrue(written.contains("| `" + key + "` |"), key);
    }
  }
}
