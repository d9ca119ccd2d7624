package dev.tally.localstack;

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
import java.util.List;

/**
 * A throwaway InfluxDB 1.x ({@code influxd run -config FILE}) on 127.0.0.1, run as a child
 * process of this JVM, with its v1 HTTP API ({@code /ping}, {@code /query}, {@code /write}).
 *
 * <p>The generated {@code influxdb.conf}, the meta/data/wal directories and the server log
 * {@code influxd.log} live in its directory. A directory given by the caller is kept on close (so
 * are the databases in it); with {@code null} a temporary one is used and deleted.
 */
public final class InfluxServer implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final ChildProcess process;
  private final WorkDir dir;
  private final int port;
  private final HttpClient http;

  private InfluxServer(ChildProcess process, WorkDir dir, int port, HttpClient http) {
    this.process = process;
    this.dir = dir;
    this.port = port;
    this.http = http;
  }

  /**
   * Starts {@code influxd} and waits until {@code GET /ping} answers 204 (from this very server).
   *
   * @param dir its directory (kept on close), or {@code null} for a temporary one
   * @param port the HTTP port, or 0 for a free one (the RPC port is always a free one)
   * @throws IllegalStateException if {@code influxd} is not installed or does not start (the
   *     message has the tail of its log)
   */
  public static InfluxServer start(Path dir, int port) {
    Commands.require(Commands.INFLUXD);
    WorkDir workDir = WorkDir.of(dir, "tally-influx-");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      return ChildProcess.startOnPort(port, START_TIMEOUT, httpPort -> {
        int rpcPort = freePortOtherThan(httpPort);
        Path config = writeConfig(workDir, httpPort, rpcPort);
        ChildProcess child = ChildProcess.start("influxd",
            List.of(Commands.INFLUXD, "run", "-config", config.toString()),
            workDir.path().resolve("influxd.log"));
        return new ChildProcess.Launch<>(child,
            () -> pings(http, httpPort) && runs(http, httpPort, config),
            () -> new InfluxServer(child, workDir, httpPort, http));
      });
    } catch (RuntimeException e) {
      workDir.release();
      throw e;
    }
  }

  private static int freePortOtherThan(int port) {
    for (int candidate : Ports.free(2)) {
      if (candidate != port) {
        return candidate;
      }
    }
    throw new IllegalStateException("unreachable: two distinct free ports cannot both equal " + port);
  }

  /** Writes {@code influxdb.conf}: loopback only, quiet, no reporting, no internal monitoring. */
  private static Path writeConfig(WorkDir dir, int httpPort, int rpcPort) {
    String config = String.join("\n",
        "reporting-enabled = false",
        "bind-address = " + quoted(Ports.LOOPBACK + ":" + rpcPort),
        "",
        "[meta]",
        "  dir = " + quoted(dir.subdirectory("meta")),
        "  logging-enabled = false",
        "",
        "[data]",
        "  dir = " + quoted(dir.subdirectory("data")),
        "  wal-dir = " + quoted(dir.subdirectory("wal")),
        "  query-log-enabled = false",
        "",
        "[monitor]",
        "  store-enabled = false",
        "",
        "[subscriber]",
        "  enabled = false",
        "",
        "[continuous_queries]",
        "  log-enabled = false",
        "",
        "[http]",
        "  enabled = true",
        "  bind-address = " + quoted(Ports.LOOPBACK + ":" + httpPort),
        "  log-enabled = false",
        "  pprof-enabled = false",
        "",
        "[logging]",
        "  level = \"warn\"",
        "  suppress-logo = true",
        "");
    Path file = dir.path().resolve("influxdb.conf");
    try {
      return Files.writeString(file, config, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }

  private static String quoted(Object value) {
    return "\"" + value.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static boolean pings(HttpClient http, int port) {
    try {
      HttpRequest ping = HttpRequest.newBuilder(URI.create(url(port) + "/ping"))
          .timeout(Duration.ofMillis(500)).GET().build();
      return http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode() == 204;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Whether the server on {@code port} runs with {@code config}: a port that is already taken
   * would otherwise pass for a started server, answering from someone else's InfluxDB.
   * {@code /debug/vars} lists the server's command line.
   */
  private static boolean runs(HttpClient http, int port, Path config) {
    try {
      HttpRequest vars = HttpRequest.newBuilder(URI.create(url(port) + "/debug/vars"))
          .timeout(Duration.ofSeconds(2)).GET().build();
      return http.send(vars, HttpResponse.BodyHandlers.ofString()).body().contains(quoted(config));
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String url(int port) {
    return "http://" + Ports.LOOPBACK + ":" + port;
  }

  /** {@code http://127.0.0.1:PORT}, the base of the v1 HTTP API. */
  public String url() {
    return url(port);
  }

  public int port() {
    return port;
  }

  /** The PID of the {@code influxd} process. */
  public long pid() {
    return process.pid();
  }

  /** The server's directory (config, data and {@code influxd.log}). */
  public Path directory() {
    return dir.path();
  }

  /**
   * Creates a database ({@code CREATE DATABASE}, a no-op when it exists).
   *
   * @throws IllegalStateException if the server answers with an error
   */
  public void createDatabase(String name) {
    String json = post("/query", "q=" + encode("CREATE DATABASE " + quoted(name)));
    if (json.contains("\"error\"")) {
      throw new IllegalStateException("CREATE DATABASE " + name + " failed: " + json);
    }
  }

  /**
   * Runs InfluxQL against {@code db} ({@code POST /query?epoch=ns}) and returns the raw JSON
   * answer, with times as integer nanoseconds since the epoch. An error in the statement comes
   * back inside the JSON ({@code "error": ...}), as InfluxDB sends it.
   *
   * @param db the database, or {@code null} for statements that name none
   * @throws IllegalStateException if the HTTP status is not 2xx
   */
  public String query(String db, String influxql) {
    String form = (db == null ? "" : "db=" + encode(db) + "&") + "epoch=ns&q=" + encode(influxql);
    return post("/query", form);
  }

  private String post(String path, String form) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url() + path))
        .timeout(REQUEST_TIMEOUT)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8))
        .build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        throw new IllegalStateException("POST " + path + " answered " + response.statusCode() + ": "
            + response.body());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException("POST " + url() + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted during POST " + path, e);
    }
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** Stops the server (SIGTERM), waits for it to exit, and deletes a temporary directory. Idempotent. */
  @Override
  public void close() {
    process.close();
    dir.release();
  }

  @Override
  public String toString() {
    return "InfluxDB " + url() + " (pid " + pid() + ")";
  }
}
