package dev.tally.localstack;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The external server commands the local stack runs as child processes, and where to get them.
 *
 * <p>Java only checks; installing is the launcher script's job. On Debian:
 * {@value #INSTALL_COMMAND}.
 */
public final class Commands {

  /** The Redis server command. */
  public static final String REDIS_SERVER = "redis-server";
  /** The InfluxDB 1.x server command. */
  public static final String INFLUXD = "influxd";
  /** How to install every missing command on Debian. */
  public static final String INSTALL_COMMAND = "apt-get install -y redis-server influxdb";

  /** Command to the Debian package that ships it, in install order. */
  private static final Map<String, String> DEBIAN_PACKAGES = new LinkedHashMap<>();

  static {
    DEBIAN_PACKAGES.put(REDIS_SERVER, "redis-server");
    DEBIAN_PACKAGES.put(INFLUXD, "influxdb");
  }

  private Commands() {
  }

  /**
   * Checks that {@code redis-server} and {@code influxd} are on the PATH.
   *
   * @throws IllegalStateException naming the missing commands, their Debian packages and the
   *     install command
   */
  public static void requireServers() {
    require(REDIS_SERVER, INFLUXD);
  }

  /**
   * Checks that each command is on the PATH.
   *
   * @throws IllegalStateException naming the missing commands, their Debian packages and the
   *     install command
   */
  public static void require(String... commands) {
    requireOn(System.getenv("PATH"), commands);
  }

  /** {@link #require(String...)} against the given PATH value. */
  static void requireOn(String path, String... commands) {
    List<String> missing = new ArrayList<>();
    for (String command : commands) {
      if (locate(path, command).isEmpty()) {
        missing.add(command);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException(missingMessage(missing));
    }
  }

  /** Returns the executable file named {@code command} in the first PATH directory that has one. */
  public static Optional<Path> locate(String command) {
    return locate(System.getenv("PATH"), command);
  }

  static Optional<Path> locate(String path, String command) {
    if (path == null || path.isEmpty()) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, command);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private static String missingMessage(List<String> missing) {
    List<String> packages = new ArrayList<>();
    for (String command : missing) {
      packages.add(command + " (Debian package " + DEBIAN_PACKAGES.getOrDefault(command, "?") + ")");
    }
    return "Not found on the PATH: " + String.join(", ", packages)
        + ". The local stack runs them as child processes. Install them with: "
        + INSTALL_COMMAND;
  }
}
