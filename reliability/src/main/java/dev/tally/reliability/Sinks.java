package dev.tally.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.connect.redis.KeyLayout;
import dev.tally.localstack.InfluxServer;
import dev.tally.schema.SeriesWindow;
import dev.tally.testkit.Reference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.Jedis;

/**
 * What the two sinks hold, read the way their users read it: the Redis mirror's per-minute hashes
 * (final ones only) and InfluxDB's two measurements, each as (series, window) to count and distinct
 * users.
 */
final class Sinks {

  static final String DATABASE = "tally";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Sinks() {
  }

  /**
   * The mirror's final minutes of the given series and of every series in its catalog: the index of
   * each series says which minutes it has, each minute's hash its figures. A minute that is there but
   * not final maps to null.
   */
  static Map<SeriesWindow, Reference.Expected> redis(int port, Set<KeyLayout.Series> expected) {
    KeyLayout layout = new KeyLayout(KeyLayout.DEFAULT_PREFIX);
    Map<SeriesWindow, Reference.Expected> minutes = new HashMap<>();
    try (Jedis jedis = new Jedis("127.0.0.1", port, 5_000)) {
      Set<KeyLayout.Series> series = new HashSet<>(expected);
      jedis.zrange(layout.catalogKey(), 0, -1).forEach(encoded -> series.add(KeyLayout.Series.decode(encoded)));
      for (KeyLayout.Series one : series) {
        for (String member : jedis.zrange(layout.indexKey(one), 0, -1)) {
          long window = Long.parseLong(member);
          Map<String, String> hash = jedis.hgetAll(layout.minuteKey(one, window));
          SeriesWindow key = new SeriesWindow(one.product(), one.eventType(), window);
          if ("1".equals(hash.get("is_final"))) {
            minutes.put(key, new Reference.Expected(Long.parseLong(hash.get("count")),
                Long.parseLong(hash.get("unique_users"))));
          } else {
            minutes.put(key, null);
          }
        }
      }
    }
    return minutes;
  }

  /** Every point of the two measurements, by (series, window). */
  static Map<SeriesWindow, Reference.Expected> influx(InfluxServer influx) {
    Map<SeriesWindow, long[]> points = new HashMap<>();
    for (String measurement : List.of("cumulative_user_event", "unique_user_event")) {
      String json = influx.query(DATABASE, "SELECT \"value\" FROM \"" + measurement
          + "\" GROUP BY \"product\", \"event_type\"");
      try {
        JsonNode result = JSON.readTree(json).path("results").path(0);
        if (result.has("error")) {
          throw new IllegalStateException("InfluxDB answered " + json);
        }
        for (JsonNode series : result.path("series")) {
          String product = series.path("tags").path("product").asText();
          String eventType = series.path("tags").path("event_type").asText();
          for (JsonNode row : series.path("values")) {
            long window = row.get(0).asLong() / 1_000_000L;
            long[] pair = points.computeIfAbsent(new SeriesWindow(product, eventType, window),
                key -> new long[] {-1, -1});
            pair[measurement.startsWith("cumulative") ? 0 : 1] = row.get(1).asLong();
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("InfluxDB answered no JSON: " + json, e);
      }
    }
    Map<SeriesWindow, Reference.Expected> all = new HashMap<>();
    points.forEach((key, pair) -> all.put(key, new Reference.Expected(pair[0], pair[1])));
    return all;
  }
}
