package dev.tally.connect.influx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.localstack.Commands;
import dev.tally.localstack.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A throwaway VictoriaMetrics (Debian's {@code victoria-metrics}) on 127.0.0.1: a real server of
 * InfluxDB's {@code /api/v2/write}, for the v2 path. It differs from InfluxDB where the tests read
 * back: a point {@code m,tags value=1i} becomes the series {@code m_value{tags}}, timestamps are
 * kept in milliseconds, and the same point written twice is stored twice.
 */
final class VictoriaMetricsServer implements AutoCloseable {

  private static final String COMMAND = "victoria-metrics";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path dir;
  private final int port;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .build();

  private VictoriaMetricsServer(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  static VictoriaMetricsServer start() throws IOException, InterruptedException {
    Path binary = Commands.locate(COMMAND).orElseThrow(() -> new IllegalStateException(COMMAND
        + " is not on the PATH: install Debian's victoria-metrics package (./tally test does)"));
    Path dir = Files.createTempDirectory("tally-vm-");
    for (int attempt = 1; ; attempt++) {
      int port = Ports.free();
      Process process = new ProcessBuilder(binary.toString(),
          "-storageDataPath=" + dir.resolve("data"),
          "-httpListenAddr=" + Ports.LOOPBACK + ":" + port,
          // the worked example is from 2016: keep it, whatever the default retention
          "-retentionPeriod=100y",
          "-loggerLevel=ERROR")
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("victoria-metrics.log").toFile()))
          .start();
      VictoriaMetricsServer server = new VictoriaMetricsServer(process, dir, port);
      if (server.awaitHealthy(Duration.ofSeconds(10))) {
        return server;
      }
      server.stopProcess();
      if (attempt == 3) {
        server.deleteDir();
        throw new IllegalStateException("victoria-metrics did not start; log: "
            + Files.readString(dir.resolve("victoria-metrics.log")));
      }
    }
  }

  private boolean awaitHealthy(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && process.isAlive()) {
      try {
        if (get("/health").equals("OK")) {
          return true;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(20);
    }
    return false;
  }

  String url() {
    return "http://" + Ports.LOOPBACK + ":" + port;
  }

  /**
   * Every sample of the contract's two measurements, back as {@link Point}s (series name without
   * {@code _value}, time in ns from VictoriaMetrics' ms).
   */
  List<Point> points() throws IOException, InterruptedException {
    get("/internal/force_flush");
    String match = URLEncoder.encode("{__name__=~\"(unique|cumulative)_user_event(_1h|_1d)?_value\"}",
        StandardCharsets.UTF_8);
    List<Point> points = new ArrayList<>();
    for (String line : get("/api/v1/export?match[]=" + match).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode series = JSON.readTree(line);
      JsonNode metric = series.path("metric");
      String name = metric.path("__name__").asText();
      for (int i = 0; i < series.path("values").size(); i++) {
        points.add(new Point(name.substring(0, name.length() - "_value".length()),
            metric.path("event_type").asText(), metric.path("product").asText(),
            series.path("values").path(i).asLong(),
            series.path("timestamps").path(i).asLong() * 1_000_000L));
      }
    }
    return points;
  }

  private String get(String path) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url() + path))
        .timeout(Duration.ofSeconds(5)).GET().build();
    return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body()
        .strip();
  }

  private void stopProcess() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void deleteDir() {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    stopProcess();
    deleteDir();
  }
}
