package dev.tally.connect.influx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.localstack.InfluxServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads back from, and writes behind the sink's back to, a real InfluxDB 1.x. */
final class InfluxQuery {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private InfluxQuery() {
  }

  /**
   * Every point of the contract measurements (per minute, and distinct users per hour and day) in
   * {@code database}, times in nanoseconds.
   */
  static List<Point> points(InfluxServer influx, String database) {
    return points(influx, database, "");
  }

  /** The points that match an InfluxQL condition ({@code WHERE} clause without the keyword). */
  static List<Point> points(InfluxServer influx, String database, String condition) {
    JsonNode answer = json(influx.query(database,
        "SELECT * FROM \"unique_user_event\", \"cumulative_user_event\", "
            + "\"unique_user_event_1h\", \"unique_user_event_1d\""
            + (condition.isEmpty() ? "" : " WHERE " + condition)));
    List<Point> points = new ArrayList<>();
    for (JsonNode series : answer.path("results").path(0).path("series")) {
      Map<String, Integer> column = new HashMap<>();
      for (int i = 0; i < series.path("columns").size(); i++) {
        column.put(series.path("columns").path(i).asText(), i);
      }
      for (JsonNode row : series.path("values")) {
        JsonNode value = row.path(column.get("value"));
        if (!value.isIntegralNumber()) {
          throw new AssertionError("value is not an integer: " + row);
        }
        points.add(new Point(series.path("name").asText(), row.path(column.get("event_type")).asText(),
            row.path(column.get("product")).asText(), value.asLong(),
            row.path(column.get("time")).asLong()));
      }
    }
    return points;
  }

  /** measurement to the type of its field {@code value} ({@code integer}, {@code float}, ...). */
  static Map<String, String> valueTypes(InfluxServer influx, String database) {
    JsonNode answer = json(influx.query(database, "SHOW FIELD KEYS"));
    Map<String, String> types = new HashMap<>();
    for (JsonNode series : answer.path("results").path(0).path("series")) {
      for (JsonNode row : series.path("values")) {
        if (row.path(0).asText().equals("value")) {
          types.put(series.path("name").asText(), row.path(1).asText());
        }
      }
    }
    return types;
  }

  /** Writes lines as they are, as another writer would. */
  static void write(InfluxServer influx, String database, String lines) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(influx.url() + "/write?db="
        + URLEncoder.encode(database, StandardCharsets.UTF_8) + "&precision=ns"))
        .POST(HttpRequest.BodyPublishers.ofString(lines, StandardCharsets.UTF_8)).build();
    try {
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 204) {
        throw new AssertionError("write answered " + response.statusCode() + ": " + response.body());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static JsonNode json(String text) {
    try {
      JsonNode node = JSON.readTree(text);
      if (node.path("results").path(0).has("error")) {
        throw new AssertionError("query failed: " + text);
      }
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
