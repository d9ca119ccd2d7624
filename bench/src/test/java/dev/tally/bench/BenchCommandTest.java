package dev.tally.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A small benchmark run: it completes, Tally counts every event of a skewed backlog, the table is written. */
class BenchCommandTest {

  @Test
  void aSmallRunWritesItsTableAndTallyCountsEverything(@TempDir Path dir) throws Exception {
    Path table = dir.resolve("BENCHMARKS.md");
    int exit = new CommandLine(new BenchCommand()).execute("--events", "20000", "--minutes", "5",
        "--series", "12", "--skew", "zipf", "--threads", "1", "--skip-naive",
        "--output", table.toString());
    assertEquals(0, exit);
    String text = Files.readString(table);
    String tally = text.lines().filter(line -> line.startsWith("| Tally, exactly_once_v2, 1 thread |"))
        .findFirst().orElseThrow(() -> new AssertionError("no Tally row in\n" + text));
    assertTrue(tally.contains("| 20,000 of 20,000 (100.0%) |"), tally);
    assertTrue(text.contains("| plain consumer (decode only) |"), text);
  }
}
