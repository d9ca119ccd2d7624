package dev.tally.localstack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The connector configurations the repository ships ({@code connectors/config/*.properties}), for
 * the demo and the harnesses that run them on a local stack: they start from exactly what an
 * operator deploys and change only the addresses.
 */
public final class ShippedConnectors {

  /** {@code connectors/config} in the repository. */
  public static final Path CONFIGS = inRepository(Path.of("connectors", "config"));

  private ShippedConnectors() {
  }

  /**
   * One shipped configuration as a map, {@code name} included.
   *
   * @param file e.g. {@code redis-sink.properties}
   */
  public static Map<String, String> load(String file) {
    Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(CONFIGS.resolve(file))) {
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the shipped connector configuration "
          + CONFIGS.resolve(file) + " (run from the repository)", e);
    }
    Map<String, String> config = new HashMap<>();
    properties.forEach((key, value) -> config.put(key.toString(), value.toString().trim()));
    return config;
  }

  /** {@code relative} in the repository: under the working directory or one of its parents. */
  public static Path inRepository(Path relative) {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve(relative))) {
        return dir.resolve(relative);
      }
    }
    return relative;
  }
}
