package dev.tally.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A small catch-up run: the broker in its own process, each job in a JVM of its own, cold and warm,
 * another build's row from a given classpath (this build's, here), and the table written with every
 * job having counted every event. (Flink is not built by the test suite: its row is left out.)
 */
class CatchUpCommandTest {

  @Test
  void aSmallRunWritesItsTableAndEveryJobCountsEverything(@TempDir Path dir) throws Exception {
    Path table = dir.resolve("BENCHMARKS.md");
    // another command's section stays as it is
    Files.writeString(table, "# Benchmarks\n\n<!-- gateway: begin -->\ngateway rows\n<!-- gateway: end -->\n");
    int exit = new CommandLine(new CatchUpCommand()).execute("--events", "20000", "--minutes", "3",
        "--series", "8", "--runs", "1", "--keys", "null", "--variant", "tally.input.packing=false",
        "--build", "same=" + System.getProperty("java.class.path"), "--warm",
        "--output", table.toString());
    assertEquals(0, exit);
    String text = Files.readString(table);
    assertTrue(text.startsWith("# Benchmarks\n\n<!-- gateway: begin -->\ngateway rows\n<!-- gateway: end -->\n\n"
        + "<!-- catchup: begin -->\n## Catch-up"), text);
    assertTrue(text.endsWith("<!-- catchup: end -->\n"), text);
    assertTrue(text.contains("- command: `./tally catchup --events 20000"), text);
    assertTrue(text.contains("--build same=CLASSPATH"), "the classpath is not elided: " + text);
    List<String> rows = text.lines().filter(line -> line.startsWith("| null keys | ")).toList();
    assertEquals(6, rows.size(), text);
    for (String name : List.of("plain consumer (decode only)", "Tally, 1 thread",
        "Tally, 1 thread, tally.input.packing=false", "Tally, 1 thread, build same",
        "plain consumer (decode only), warm JVM", "Tally, 1 thread, warm JVM")) {
      String row = rows.stream().filter(line -> line.startsWith("| null keys | " + name + " |"))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no row " + name + ":\n" + text));
      assertTrue(row.endsWith("| 20,000 of 20,000 |"), row);
    }
  }
}
