package dev.tally.localstack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;

/**
 * A Kafka Connect worker in standalone mode, in this JVM, for the demo and the tests: connectors on
 * the class path are found through their service-loader entries ({@code plugin.discovery=service_load},
 * no {@code plugin.path}), its REST API listens on a free loopback port, and it is driven through that
 * API exactly as an operator drives a real worker ({@code curl -X PUT .../connectors/NAME/config}).
 *
 * <p>Sinks read with {@code isolation.level=read_committed}: Tally's results are written in
 * transactions, and an aborted one must never reach Redis or InfluxDB. Offsets are kept in a file in
 * the worker's directory (a given directory is kept on close, none means a temporary one).
 */
public final class ConnectWorker implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final Connect<StandaloneHerder> connect;
  private final WorkDir dir;
  private final String restUrl;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private ConnectWorker(Connect<StandaloneHerder> connect, WorkDir dir) {
    this.connect = connect;
    this.dir = dir;
    String url = connect.rest().serverUrl().toString();
    this.restUrl = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** Starts a worker against {@code bootstrapServers}; returns once its REST API answers. */
  public static ConnectWorker start(String bootstrapServers, Path directory) {
    WorkDir dir = WorkDir.of(directory, "tally-connect-");
    Map<String, String> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    props.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    props.put("offset.storage.file.filename", dir.path().resolve("connect.offsets").toString());
    props.put("offset.flush.interval.ms", "1000");
    props.put("listeners", "http://" + Ports.LOOPBACK + ":0");
    props.put("plugin.discovery", "service_load");
    props.put("consumer.isolation.level", "read_committed");
    props.put("consumer.auto.offset.reset", "earliest");
    props.put("connector.client.config.override.policy", "All");
    Connect<StandaloneHerder> connect = new ConnectStandalone().startConnect(props);
    return new ConnectWorker(connect, dir);
  }

  /** The REST API's base URL, e.g. {@code http://127.0.0.1:41234}. */
  public String restUrl() {
    return restUrl;
  }

  /**
   * Creates or reconfigures a connector ({@code PUT /connectors/NAME/config}) and waits until it and
   * all its tasks are RUNNING.
   *
   * @throws IllegalStateException with the worker's answer when it refuses the configuration or a task
   *     fails
   */
  public void createConnector(String name, Map<String, String> config) {
    try {
      send("PUT", "/connectors/" + encode(name) + "/config", JSON.writeValueAsString(config));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode the configuration of " + name, e);
    }
    awaitRunning(name);
  }

  /** The connector's status ({@code GET /connectors/NAME/status}) as JSON. */
  public String connectorStatus(String name) {
    return send("GET", "/connectors/" + encode(name) + "/status", null);
  }

  /**
   * Makes the connector read its topics again from the start: stops it, deletes its offsets
   * ({@code DELETE /connectors/NAME/offsets}) and resumes it, the REST calls an operator makes to
   * rebuild a sink's target from the topic.
   */
  public void resetOffsets(String name) {
    send("PUT", "/connectors/" + encode(name) + "/stop", null);
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!connectorState(name).equals("STOPPED")) {
      sleepUntil(deadline, "connector " + name + " did not stop: " + connectorStatus(name));
    }
    // STOPPED is the connector's state; its sink tasks may still be stopping, and until they have
    // left the group the worker refuses the reset (500, "can be safely retried")
    while (true) {
      try {
        send("DELETE", "/connectors/" + encode(name) + "/offsets", null);
        break;
      } catch (IllegalArgumentException refused) {
        if (!refused.getMessage().contains("safely retried")) {
          throw refused;
        }
        sleepUntil(deadline, "the offsets of connector " + name + " could not be reset: "
            + refused.getMessage());
      }
    }
    send("PUT", "/connectors/" + encode(name) + "/resume", null);
    awaitRunning(name);
  }

  /** Deletes a connector ({@code DELETE /connectors/NAME}). */
  public void deleteConnector(String name) {
    send("DELETE", "/connectors/" + encode(name), null);
  }

  private void awaitRunning(String name) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        JsonNode status = JSON.readTree(connectorStatus(name));
        JsonNode tasks = status.path("tasks");
        boolean running = "RUNNING".equals(status.path("connector").path("state").asText())
            && tasks.size() > 0;
        for (JsonNode task : tasks) {
          if ("FAILED".equals(task.path("state").asText())) {
            throw new IllegalStateException("a task of connector " + name + " failed: "
                + task.path("trace").asText());
          }
          running &= "RUNNING".equals(task.path("state").asText());
        }
        if (running) {
          return;
        }
      } catch (IOException | IllegalArgumentException notYet) {
        // the status is not there yet
      }
      sleepUntil(deadline, "connector " + name + " is not running: " + safeStatus(name));
    }
  }

  private String connectorState(String name) {
    try {
      return JSON.readTree(connectorStatus(name)).path("connector").path("state").asText();
    } catch (IOException e) {
      return "";
    }
  }

  private String safeStatus(String name) {
    try {
      return connectorStatus(name);
    } catch (RuntimeException e) {
      return e.getMessage();
    }
  }

  private String send(String method, String path, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(restUrl + path))
        .timeout(TIMEOUT)
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() >= 300) {
        throw new IllegalArgumentException(method + " " + path + " answered " + response.statusCode()
            + ": " + response.body());
      }
      return response.body();
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + restUrl + path + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + method + " " + path, e);
    }
  }

  private static void sleepUntil(long deadline, String failure) {
    if (System.nanoTime() > deadline) {
      throw new IllegalStateException(failure);
    }
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(failure, e);
    }
  }

  private static String encode(String name) {
    return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Stops the connectors and the worker; deletes its directory if it was a temporary one. */
  @Override
  public void close() {
    connect.stop();
    connect.awaitStop();
    dir.release();
  }
}
