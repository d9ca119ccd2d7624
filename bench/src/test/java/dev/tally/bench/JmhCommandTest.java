package dev.tally.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The micro-benchmarks are compiled with their JMH harness into the bench jar, where
 * {@code ./tally jmh} finds them; listing them runs none (they never run in the test suite).
 */
class JmhCommandTest {

  @Test
  void listsEveryBenchmarkOfTheHotPathWithItsParameters() {
    PrintStream out = System.out;
    ByteArrayOutputStream listed = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(listed, true, StandardCharsets.UTF_8));
      exit = new CommandLine(new JmhCommand()).execute("--list");
    } finally {
      System.setOut(out);
    }
    assertEquals(0, exit);
    String text = listed.toString(StandardCharsets.UTF_8);
    for (String benchmark : new String[] {"dev.tally.decode.EventDecoderBenchmark.decode",
        "dev.tally.decode.EventDecoderBenchmark.decodeInPlace",
        "dev.tally.topology.aggregate.TalliesBenchmark.add",
        "dev.tally.topology.aggregate.TalliesBenchmark.flush"}) {
      assertTrue(text.contains(benchmark + "\n"), benchmark + " missing in\n" + text);
    }
    assertTrue(text.contains("param \"format\" = {avro, line-protocol}"), text);
    assertTrue(text.contains("param \"newUsersPercent\" = {10, 50}"), text);
  }
}
