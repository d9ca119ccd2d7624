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
 * A small run of {@code bench-gateway}: the direct producer, HTTP and UDP each in a JVM of their own
 * against a broker in its own process; the command itself checks that the topic holds every line
 * written once, so a run that ends with exit 0 wrote exactly what it reports.
 */
class GatewayBenchCommandTest {

  @Test
  void aSmallRunWritesItsSectionWithEveryPath(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("BENCHMARKS.md");
    int exit = new CommandLine(new GatewayBenchCommand()).execute("--lines", "20000", "--warmup-lines", "2000",
        "--batch", "1000", "--runs", "1", "--output", file.toString());
    assertEquals(0, exit);
    String text = Files.readString(file);
    assertTrue(text.startsWith("<!-- gateway: begin -->\n## Gateway"), text);
    assertTrue(text.contains("- command: `./tally bench-gateway --lines 20000"), text);
    List<String> rows = text.lines().filter(line -> line.startsWith("| Kafka producer, direct")
        || line.startsWith("| gateway, ")).toList();
    assertEquals(3, rows.size(), text);
    assertTrue(rows.get(0).endsWith("| 20,000 of 20,000 |"), rows.get(0));
    assertTrue(rows.get(1).startsWith("| gateway, HTTP POST /write, 1000 lines per request"), rows.get(1));
    assertTrue(rows.get(1).endsWith("| 20,000 of 20,000 |"), rows.get(1));
    assertTrue(rows.get(2).startsWith("| gateway, UDP"), rows.get(2));
  }
}
