package dev.tally.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A small benchmark run: it completes, Tally counts every event of a skewed backlog, the tables are
 * written, the state's size and the latency of finals under steady traffic included, to the
 * results topic and to the real Redis and InfluxDB through the shipped sink configurations, each
 * final there with the topic's figures.
 */
class BenchCommandTest {

  @Test
  void aMedianOfAnEvenNumberOfRunsIsTheMeanOfTheMiddleTwo() {
    assertEquals(2.0, BenchCommand.median(new double[] {3, 1, 2}));
    assertEquals(2.5, BenchCommand.median(new double[] {4, 1}));
    assertEquals(2.5, BenchCommand.median(new double[] {9, 1, 3, 2}));
  }

  @Test
  void theSteadyStateRunsFromTheFirstTenthReadToTheNinthTenthAndEveryMarkIsPrinted() {
    BenchCommand.Progress progress = new BenchCommand.Progress(1000);
    progress.observe(0, 1_000_000_000L);
    assertTrue(Double.isNaN(progress.seconds()), "no mark yet");
    progress.observe(99, 2_000_000_000L);
    progress.observe(100, 3_000_000_000L);
    progress.observe(500, 4_000_000_000L);
    assertTrue(Double.isNaN(progress.seconds()), "one mark only");
    assertFalse(progress.complete());
    progress.observe(900, 5_500_000_000L);
    assertFalse(progress.complete(), "not all read yet");
    assertEquals("10% read at 2.0 s, 90% at 4.5 s, all at -", progress.marks(1_000_000_000L));
    progress.observe(1000, 9_000_000_000L);
    assertTrue(progress.complete());
    assertEquals(2.5, progress.seconds(), 1e-9);
    assertEquals("10% read at 2.0 s, 90% at 4.5 s, all at 8.0 s", progress.marks(1_000_000_000L));

    BenchCommand.Progress atOnce = new BenchCommand.Progress(1000);
    atOnce.observe(1000, 1_000_000_000L); // both marks in one observation: no rate to tell
    assertTrue(Double.isNaN(atOnce.seconds()));
  }

  @Test
  void aSmallRunWritesItsTableAndTallyCountsEverything(@TempDir Path dir) throws Exception {
    Path table = dir.resolve("BENCHMARKS.md");
    int exit = new CommandLine(new BenchCommand()).execute("--events", "20000", "--minutes", "5",
        "--series", "12", "--skew", "zipf", "--threads", "1", "--skip-naive",
        "--latency-seconds", "15", "--time-events", "20000", "--time-seconds", "15",
        "--output", table.toString());
    assertEquals(0, exit);
    String text = Files.readString(table);
    String tally = text.lines().filter(line -> line.startsWith("| Tally, exactly_once_v2, 1 thread |"))
        .findFirst().orElseThrow(() -> new AssertionError("no Tally row in\n" + text));
    assertTrue(tally.contains("| 20,000 of 20,000 (100.0%) |"), tally);
    // the last two columns: a steady rate and its ratio to the plain consumer's, or empty when this
    // small backlog was read between two polls of the group's offsets
    assertTrue(tally.matches(".*\\| (\\d[\\d,]* \\| \\d+\\.\\d\\dx| \\| ) \\|$"), tally);
    assertTrue(text.contains("| plain consumer (decode only) |"), text);
    assertTrue(text.lines().anyMatch(line -> line.startsWith("| Kafka Streams floor")
        && line.contains("| 20,000 of 20,000 (100.0%) |")), text);
    assertTrue(text.contains("- command: `./tally bench --events 20000"), text);
    String changelog = text.lines().filter(line -> line.contains("distinct-user changelog"))
        .findFirst().orElseThrow(() -> new AssertionError("no changelog row in\n" + text));
    // the bytes may be 0 here: a window that opens and closes between two commits (this backlog takes
    // well under a second) never reaches the changelog
    assertTrue(changelog.matches(".*\\(12,278 entries\\) \\| \\d+\\.\\d \\|$"), changelog);
    String[] topic = latencyRow(text, "| results topic, read_committed consumer");
    int finals = number(topic[5]);
    assertTrue(finals > 0, "no final measured: " + String.join("|", topic));
    for (String sink : new String[] {"| Redis mirror (shipped redis-sink.properties)",
        "| InfluxDB 1.x, v1 API (shipped influxdb-sink.properties)"}) {
      String[] row = latencyRow(text, sink);
      assertEquals(finals, number(row[5]), "every final of the topic measured: " + String.join("|", row));
      assertEquals(0, number(row[6]), "none missing or different: " + String.join("|", row));
      assertTrue(number(row[2]) >= 0, String.join("|", row));
    }
    assertTrue(text.contains("Target (the issue's): the final result in Redis within 2,000 ms"), text);
    assertTrue(text.contains("until Redis and InfluxDB hold it with the same figures"), text);
    // the time rows: every window exact, figures in seconds and milliseconds
    String skewed = text.lines().filter(line -> line.startsWith("| skewed backlog: 20,000 events"))
        .findFirst().orElseThrow(() -> new AssertionError("no skewed backlog row in\n" + text));
    assertTrue(skewed.matches(".*\\| \\d+\\.\\d s \\| \\d+\\.\\d \\| yes \\|$"), skewed);
    String transactional = text.lines()
        .filter(line -> line.startsWith("| transactional input: 5,000 events/s for 15 s"))
        .findFirst().orElseThrow(() -> new AssertionError("no transactional row in\n" + text));
    assertTrue(transactional.matches(".*\\| [\\d,]+ ms \\| [\\d,]+ ms \\| yes \\|$"),
        transactional);
    assertTrue(text.contains("| transactional input: the last window"), text);
  }

  private static String[] latencyRow(String text, String prefix) {
    return text.lines().filter(line -> line.startsWith(prefix)).findFirst()
        .orElseThrow(() -> new AssertionError("no row " + prefix + " in\n" + text)).split("\\|");
  }

  private static int number(String cell) {
    return Integer.parseInt(cell.replace("ms", "").replace(",", "").trim());
  }
}
