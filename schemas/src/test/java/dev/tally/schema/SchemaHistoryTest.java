package dev.tally.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;

/**
 * The build's guard against breaking readers: every schema version ever committed under
 * {@code schemas/history/NAME/vN.avsc} must stay readable by the current {@code src/main/avro/NAME.avsc}
 * (Avro's own {@link SchemaCompatibility} checker), and the current schema must be recorded there as the
 * newest version, so that the next change is checked against it.
 */
class SchemaHistoryTest {

  private static final Path CURRENT = Path.of(System.getProperty("tally.schemas.dir", "src/main/avro"));
  private static final Path HISTORY = Path.of(System.getProperty("tally.schemas.history", "history"));

  @Test
  void everyCommittedVersionStaysReadableByTheCurrentSchema() throws IOException {
    List<String> problems = new ArrayList<>();
    List<Path> current = list(CURRENT, ".avsc");
    assertFalse(current.isEmpty(), "no schemas found in " + CURRENT.toAbsolutePath());
    for (Path file : current) {
      String name = file.getFileName().toString().replace(".avsc", "");
      Schema reader = parse(file);
      List<Path> versions = versions(name);
      if (versions.isEmpty()) {
        problems.add(name + ": no history; copy " + file + " to " + HISTORY.resolve(name).resolve("v1.avsc"));
        continue;
      }
      for (Path version : versions) {
        Schema writer = parse(version);
        SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
          problems.add(name + ": the current schema cannot read data written with " + version + ": "
              + result.getResult().getIncompatibilities());
        }
      }
      Schema newest = parse(versions.get(versions.size() - 1));
      if (!newest.equals(reader)) {
        problems.add(name + ": the current schema is not in the history; record it as "
            + HISTORY.resolve(name).resolve("v" + (versions.size() + 1) + ".avsc"));
      }
    }
    if (!problems.isEmpty()) {
      fail(String.join("\n", problems));
    }
  }

  @Test
  void theCheckerRejectsARemovedFieldWithoutDefault() {
    Schema v1 = new Schema.Parser().parse(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");
    Schema v2 = new Schema.Parser().parse(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},"
            + "{\"name\":\"b\",\"type\":\"long\"}]}");
    // a reader that needs a new field without a default cannot read old data
    assertEquals(SchemaCompatibilityType.INCOMPATIBLE,
        SchemaCompatibility.checkReaderWriterCompatibility(v2, v1).getType());
    assertEquals(SchemaCompatibilityType.COMPATIBLE,
        SchemaCompatibility.checkReaderWriterCompatibility(v1, v2).getType());
  }

  @Test
  void eventTimestampIsNanoseconds() {
    Schema.Field timestamp = Event.getClassSchema().getField("timestamp");
    assertTrue(timestamp.schema().getLogicalType() != null, "timestamp has no logical type");
    assertEquals("timestamp-nanos", timestamp.schema().getLogicalType().getName());
  }

  private static List<Path> versions(String name) throws IOException {
    Path dir = HISTORY.resolve(name);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Path> versions = list(dir, ".avsc");
    versions.sort(Comparator.comparingInt(SchemaHistoryTest::versionNumber));
    return versions;
  }

  private static int versionNumber(Path path) {
    String file = path.getFileName().toString();
    return Integer.parseInt(file.substring(1, file.length() - ".avsc".length()));
  }

  private static List<Path> list(Path dir, String suffix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return new ArrayList<>(files.filter(p -> p.toString().endsWith(suffix)).sorted().toList());
    }
  }

  private static Schema parse(Path file) throws IOException {
    return new Schema.Parser().parse(file.toFile());
  }
}
