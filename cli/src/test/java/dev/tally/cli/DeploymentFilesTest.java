package dev.tally.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml cannot run here (no Docker engine), so it is checked as far as it can be: Debian's
 * docker-compose validates it, every file and folder it mounts or builds from exists in the repository
 * (after the build, for the connector plugins), every image is pinned, and a missing secret is refused.
 */
class DeploymentFilesTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path COMPOSE = ROOT.resolve("docker-compose.yml");

  @Test
  void composeFileIsValid() throws Exception {
    Result result = compose(List.of("-f", COMPOSE.toString(), "config", "-q"));
    assertEquals(0, result.exit, result.output);
  }

  @Test
  void aMissingSecretIsRefusedWithItsName() throws Exception {
    Path empty = Files.createTempFile("empty", ".env");
    try {
      Result result = compose(List.of("--env-file", empty.toString(), "-f", COMPOSE.toString(),
          "config", "-q"));
      assertTrue(result.exit != 0, "accepted without secrets");
      assertTrue(result.output.contains("set KAFKA_CLUSTER_ID in .env")
          || result.output.contains("set in .env"), result.output);
    } finally {
      Files.delete(empty);
    }
  }

  @Test
  void everythingTheStackMountsOrBuildsExists() throws IOException {
    String text = Files.readString(COMPOSE);
    Matcher paths = Pattern.compile("\\./[^:\\s\"]+").matcher(text);
    List<String> missing = new ArrayList<>();
    int checked = 0;
    while (paths.find()) {
      checked++;
      if (!Files.exists(ROOT.resolve(paths.group()))) {
        missing.add(paths.group());
      }
    }
    assertTrue(checked >= 8, "found only " + checked + " paths in " + COMPOSE);
    assertEquals(List.of(), missing, "mounted but missing (connector plugins: run mvn package)");
    assertTrue(Files.exists(ROOT.resolve("Dockerfile")));
    assertTrue(Files.exists(ROOT.resolve(".env")));
    for (String plugin : List.of("redis-sink", "influxdb-sink")) {
      Path services = ROOT.resolve("connectors/" + plugin + "/target/plugin/tally-" + plugin);
      try (var jars = Files.list(services)) {
        assertTrue(jars.anyMatch(jar -> jar.getFileName().toString().startsWith("tally-" + plugin)),
            "no connector jar in " + services);
      }
    }
  }

  /** Two services publishing one host port would stop {@code docker compose up} at the second. */
  @Test
  void noTwoServicesPublishTheSameHostPort() throws IOException {
    Matcher ports = Pattern.compile("\"(\\d+):\\d+(/udp)?\"").matcher(Files.readString(COMPOSE));
    List<String> published = new ArrayList<>();
    while (ports.find()) {
      String port = ports.group(1) + (ports.group(2) == null ? "/tcp" : "/udp");
      assertTrue(!published.contains(port), "host port " + port + " published twice");
      published.add(port);
    }
    assertTrue(published.size() >= 5, "only " + published);
  }

  @Test
  void everyImageIsPinned() throws IOException {
    Matcher images = Pattern.compile("(?m)^\\s+image:\\s*(\\S+)").matcher(Files.readString(COMPOSE));
    int count = 0;
    while (images.find()) {
      count++;
      String image = images.group(1);
      assertTrue(image.contains(":") && !image.endsWith(":latest"), "unpinned image " + image);
    }
    assertTrue(count >= 6, "only " + count + " images");
  }

  @Test
  void composeConnectorConfigsKeepSecretsOutOfTheFiles() throws IOException {
    for (String name : List.of("redis-sink.json", "influxdb-sink.json")) {
      String config = Files.readString(ROOT.resolve("connectors/config/compose/" + name));
      Matcher secrets = Pattern.compile("\"[a-z.]*(password|token)\"\\s*:\\s*\"([^\"]*)\"")
          .matcher(config);
      while (secrets.find()) {
        assertTrue(secrets.group(2).startsWith("${env:"), name + ": " + secrets.group());
      }
    }
  }

  private record Result(int exit, String output) {
  }

  private static Result compose(List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of("docker-compose"));
    command.addAll(args);
    Process process;
    try {
      process = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("docker-compose is missing: apt-get install -y docker-compose "
          + "(./tally test installs it)", e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "docker-compose hung");
    return new Result(process.exitValue(), output);
  }
}
