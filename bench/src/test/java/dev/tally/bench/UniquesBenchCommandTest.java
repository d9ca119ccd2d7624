package dev.tally.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A small run of {@code bench-uniques} against a real redis-server: every row, estimates close. */
class UniquesBenchCommandTest {

  @Test
  void aSmallRunWritesItsSectionWithEstimatesWithinTheirError(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("BENCHMARKS.md");
    int exit = new CommandLine(new UniquesBenchCommand()).execute("--days", "2", "--series", "2",
        "--queries", "2", "--output", file.toString());
    assertEquals(0, exit);
    String text = Files.readString(file);
    assertTrue(text.contains("- command: `./tally bench-uniques --days 2"), text);
    List<String> queries = text.lines().filter(line -> line.startsWith("| query: ")).toList();
    assertEquals(3, queries.size(), text);
    Pattern error = Pattern.compile("\\(([+-][0-9.]+)%\\) \\|$");
    for (String query : queries) {
      Matcher matcher = error.matcher(query);
      assertTrue(matcher.find(), query);
      assertTrue(Math.abs(Double.parseDouble(matcher.group(1))) <= 2.0, query);
    }
    assertTrue(text.contains("| Redis sink: PFADD elements/s"), text);
  }
}
