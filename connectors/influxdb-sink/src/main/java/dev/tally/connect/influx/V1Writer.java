package dev.tally.connect.influx;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Writes through InfluxDB 1.x's HTTP API: {@code POST /write?db=..[&rp=..]&precision=ns}, basic
 * authentication when a user is configured. The 2.x client cannot do this (it only knows
 * {@code /api/v2/write}, which 1.x servers before 1.8 lack), and the request is simple enough for
 * the JDK's own HTTP client, so this path needs no dependency.
 */
final class V1Writer implements InfluxWriter {

  private final HttpClient http;
  private final URI uri;
  private final Optional<String> authorization;
  private final Duration timeout;

  V1Writer(InfluxDbSinkConfig config) {
    this.timeout = Duration.ofMillis(config.timeoutMs());
    // HTTP/1.1: influxd speaks nothing else, and an h2c upgrade attempt only costs a round trip
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(timeout)
        .build();
    String query = "db=" + encode(config.database())
        + (config.retentionPolicy().isEmpty() ? "" : "&rp=" + encode(config.retentionPolicy()))
        + "&precision=ns";
    this.uri = URI.create(config.url() + "/write?" + query);
    this.authorization = config.username().isEmpty() ? Optional.empty()
        : Optional.of("Basic " + Base64.getEncoder().encodeToString(
            (config.username() + ":" + config.password().value()).getBytes(StandardCharsets.UTF_8)));
  }

  @Override
  public void write(List<String> lines) throws WriteFailure {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .header("Content-Type", "text/plain; charset=utf-8")
        .POST(HttpRequest.BodyPublishers.ofString(String.join("\n", lines), StandardCharsets.UTF_8));
    authorization.ifPresent(value -> request.header("Authorization", value));
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw WriteFailure.ofIo(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw WriteFailure.ofIo(new IOException("interrupted while writing", e));
    }
    if (response.statusCode() / 100 != 2) {
      throw WriteFailure.ofStatus(response.statusCode(), serverMessage(response));
    }
  }

  /**
   * InfluxDB 1.x puts its message in the {@code X-Influxdb-Error} header and in a JSON body
   * {@code {"error": "..."}}; a proxy in front of it may answer with anything.
   */
  private static String serverMessage(HttpResponse<String> response) {
    return response.headers().firstValue("X-Influxdb-Error")
        .orElseGet(() -> abbreviate(response.body()));
  }

  private static String abbreviate(String body) {
    String text = body == null ? "" : body.strip();
    return text.length() <= 500 ? text : text.substring(0, 500) + "...";
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    // the JDK client has no close before Java 21; its idle connections time out by themselves
  }

  @Override
  public String toString() {
    return "POST " + uri;
  }
}
