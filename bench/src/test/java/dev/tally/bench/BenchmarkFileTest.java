package dev.tally.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkFileTest {

  @Test
  void aSectionIsReplacedInPlaceAndTheRestKept(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("BENCHMARKS.md");
    BenchmarkFile.writeSection(file, "a", "## A\n\nfirst\n");
    assertEquals("<!-- a: begin -->\n## A\n\nfirst\n<!-- a: end -->\n", Files.readString(file));
    Files.writeString(file, "# Benchmarks\n\n" + Files.readString(file));
    BenchmarkFile.writeSection(file, "b", "## B");
    BenchmarkFile.writeSection(file, "a", "## A\n\nsecond");
    assertEquals("# Benchmarks\n\n<!-- a: begin -->\n## A\n\nsecond\n<!-- a: end -->\n\n"
        + "<!-- b: begin -->\n## B\n<!-- b: end -->\n", Files.readString(file));
  }
}
