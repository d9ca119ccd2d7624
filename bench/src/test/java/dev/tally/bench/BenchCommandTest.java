package dev.tally.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A small benchmark run: it completes, Tally counts every event of a skewed backlog, the tables are
 * written, the state's size and the latency of finals under steady traffic included.
 */
class BenchCommandTest {

  @Test
  void aSmallRunWritesItsTableAndTallyCountsEverything(@TempDir Path dir) throws Exception {
    Path table = dir.resolve("BENCHMARKS.md");
    int exit = new CommandLine(new BenchCommand()).execute("--events", "20000", "--minutes", "5",
        "--series", "12", "--skew", "zipf", "--threads", "1", "--skip-naive",
        "--latency-seconds", "15", "--output", table.toString());
    assertEquals(0, exit);
    String text = Files.readString(table);
    String tally = text.lines().filter(line -> line.startsWith("| Tally, exactly_once_v2, 1 thread |"))
        .findFirst().orElseThrow(() -> new AssertionError("no Tally row in\n" + text));
    assertTrue(tally.contains("| 20,000 of 20,000 (100.0%) |"), tally);
    assertTrue(text.contains("| plain consumer (decode only) |"), text);
    assertTrue(text.contains("- command: `./tally bench --events 20000"), text);
    String changelog = text.lines().filter(line -> line.contains("distinct-user changelog"))
        .findFirst().orElseThrow(() -> new AssertionError("no changelog row in\n" + text));
    assertTrue(!changelog.contains("| 0.0 |") && !changelog.contains("(0 entries)"), changelog);
    String latency = text.lines().filter(line -> line.startsWith("| Tally, exactly_once_v2 (median"))
        .findFirst().orElseThrow(() -> new AssertionError("no latency row in\n" + text));
    String[] cells = latency.split("\\|");
    assertTrue(Integer.parseInt(cells[cells.length - 1].trim().replace(",", "")) > 0,
        "no final measured: " + latency);
  }
}
