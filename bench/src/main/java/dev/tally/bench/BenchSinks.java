package dev.tally.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.bench.FinalWatch.Counts;
import dev.tally.connect.redis.KeyLayout;
import dev.tally.localstack.ConnectWorker;
import dev.tally.localstack.InfluxServer;
import dev.tally.localstack.RedisServer;
import dev.tally.localstack.ShippedConnectors;
import dev.tally.schema.SeriesWindow;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * The two sinks as operators run them, for the latency measurement: {@code redis-server} and
 * {@code influxd} on loopback, an in-process Connect worker, and the shipped connector
 * configurations ({@code connectors/config/*.properties}) with only the addresses, the topic and
 * the connector names changed; and a reader for each that sees what analysts and dashboards see.
 */
final class BenchSinks implements AutoCloseable {

  static final String REDIS_CONFIG = "redis-sink.properties";
  static final String INFLUX_CONFIG = "influxdb-sink.properties";
  private static final String DATABASE = "tally";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RedisServer redis;
  private final InfluxServer influx;
  private final ConnectWorker worker;
  private final KeyLayout layout;

  private BenchSinks(RedisServer redis, InfluxServer influx, ConnectWorker worker) {
    this.redis = redis;
    this.influx = influx;
    this.worker = worker;
    this.layout = new KeyLayout(ShippedConnectors.load(REDIS_CONFIG)
        .getOrDefault("redis.key.prefix", KeyLayout.DEFAULT_PREFIX));
  }

  /**
   * Starts both servers (temporary directories) and a Connect worker against {@code bootstrap}.
   *
   * @throws IllegalStateException if {@code redis-server} or {@code influxd} is missing or does not
   *     start (the message says what to install)
   */
  static BenchSinks start(String bootstrap) {
    RedisServer redis = RedisServer.start(null, 0);
    InfluxServer influx = null;
    try {
      influx = InfluxServer.start(null, 0);
      influx.createDatabase(DATABASE);
      return new BenchSinks(redis, influx, ConnectWorker.start(bootstrap, null));
    } catch (RuntimeException e) {
      if (influx != null) {
        influx.close();
      }
      redis.close();
      throw e;
    }
  }

  /**
   * Creates both connectors on {@code topic}, named after the shipped ones plus {@code suffix}, and
   * waits until their tasks run. The topic must exist: the local broker creates none by itself.
   */
  void connect(String topic, String suffix) {
    Map<String, String> mirror = ShippedConnectors.load(REDIS_CONFIG);
    mirror.put("topics", topic);
    mirror.put("redis.hosts", redis.host() + ":" + redis.port());
    // the local redis-server has only its default user, not the shipped ACL's writer
    mirror.remove("redis.user");
    mirror.remove("redis.password");
    worker.createConnector(mirror.remove("name") + "-" + suffix, mirror);

    Map<String, String> points = ShippedConnectors.load(INFLUX_CONFIG);
    points.put("topics", topic);
    points.put("influx.url", influx.url());
    points.put("influx.database", DATABASE);
    worker.createConnector(points.remove("name") + "-" + suffix, points);
  }

  /** The mirror's minute hashes, one pipelined {@code HMGET} per due final; final ones only. */
  FinalWatch.Reader redisReader() {
    Jedis jedis = new Jedis(redis.host(), redis.port(), 5_000);
    return new FinalWatch.Reader() {
      @Override
      public Map<SeriesWindow, Counts> finals(Collection<SeriesWindow> due) {
        List<SeriesWindow> keys = new ArrayList<>(due);
        List<Response<List<String>>> replies = new ArrayList<>(keys.size());
        Pipeline pipeline = jedis.pipelined();
        for (SeriesWindow key : keys) {
          replies.add(pipeline.hmget(layout.minuteKey(
              new KeyLayout.Series(key.product(), key.eventType()), key.windowStartMs()),
              "is_final", "count", "unique_users"));
        }
        pipeline.sync();
        Map<SeriesWindow, Counts> finals = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
          List<String> hash = replies.get(i).get();
          if ("1".equals(hash.get(0))) {
            finals.put(keys.get(i), new Counts(Long.parseLong(hash.get(1)), Long.parseLong(hash.get(2))));
          }
        }
        return finals;
      }

      @Override
      public void close() {
        jedis.close();
      }
    };
  }

  /**
   * InfluxDB's two measurements over the due windows, one {@code /query} per poll; a final counts
   * once both of its points are there.
   */
  FinalWatch.Reader influxReader() {
    return new FinalWatch.Reader() {
      @Override
      public Map<SeriesWindow, Counts> finals(Collection<SeriesWindow> due) throws Exception {
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;
        for (SeriesWindow key : due) {
          from = Math.min(from, key.windowStartMs());
          to = Math.max(to, key.windowStartMs());
        }
        String json = influx.query(DATABASE, "SELECT \"value\" FROM \"cumulative_user_event\", "
            + "\"unique_user_event\" WHERE time >= " + from * 1_000_000L + " AND time <= "
            + to * 1_000_000L + " GROUP BY \"product\", \"event_type\"");
        JsonNode result = JSON.readTree(json).path("results").path(0);
        if (result.has("error")) {
          throw new IllegalStateException("InfluxDB answered " + json);
        }
        Map<SeriesWindow, long[]> points = new HashMap<>();
        for (JsonNode series : result.path("series")) {
          boolean cumulative = series.path("name").asText().equals("cumulative_user_event");
          String product = series.path("tags").path("product").asText();
          String eventType = series.path("tags").path("event_type").asText();
          for (JsonNode row : series.path("values")) {
            SeriesWindow key = new SeriesWindow(product, eventType, row.get(0).asLong() / 1_000_000L);
            points.computeIfAbsent(key, k -> new long[] {-1, -1})[cumulative ? 0 : 1] = row.get(1).asLong();
          }
        }
        Map<SeriesWindow, Counts> finals = new HashMap<>();
        for (SeriesWindow key : due) {
          long[] pair = points.get(key);
          if (pair != null && pair[0] >= 0 && pair[1] >= 0) {
            finals.put(key, new Counts(pair[0], pair[1]));
          }
        }
        return finals;
      }

      @Override
      public void close() {
      }
    };
  }

  /** Stops the worker (and its connectors), then influxd, then redis-server. */
  @Override
  public void close() {
    try {
      worker.close();
    } finally {
      try {
        influx.close();
      } finally {
        redis.close();
      }
    }
  }
}
