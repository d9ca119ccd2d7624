package dev.tally.connect.redis.query;

import dev.tally.connect.redis.KeyLayout;
import dev.tally.connect.redis.KeyLayout.Ranking;
import dev.tally.connect.redis.KeyLayout.Series;
import dev.tally.connect.redis.KeyLayout.Span;
import dev.tally.connect.redis.RedisEndpoint;
import dev.tally.connect.redis.query.Table.Column;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.resps.Tuple;

/**
 * Reads the mirror the Redis sink writes ({@link KeyLayout}), for analysts: the series it knows,
 * one series over a time range, the top series of a minute, and distinct users over any range of
 * minutes (estimated from HyperLogLogs). Read commands only, so it works
 * as the read-only {@code tally-analyst} user.
 *
 * <pre>{@code
 * try (MirrorReader reader = MirrorReader.open(endpoint, "tally:")) {
 *   System.out.print(Table.Format.TABLE.render(reader.top(minute, Ranking.COUNT, 10)));
 * }
 * }</pre>
 */
public final class MirrorReader implements AutoCloseable {

  private static final long MINUTE_MS = 60_000L;

  private final UnifiedJedis redis;
  private final KeyLayout layout;
  private final String where;

  MirrorReader(UnifiedJedis redis, KeyLayout layout, String where) {
    this.redis = redis;
    this.layout = layout;
    this.where = where;
  }

  /** A reader of the mirror under {@code prefix} at {@code endpoint}. */
  public static MirrorReader open(RedisEndpoint endpoint, String prefix) {
    try {
      return new MirrorReader(endpoint.connect(), new KeyLayout(prefix), endpoint.describe());
    } catch (JedisException e) {
      throw failure(endpoint.describe(), e);
    }
  }

  /** Every series in the catalog, by product and event type, with its latest minute. */
  public Table series() {
    List<Tuple> catalog = read(() -> redis.zrangeWithScores(layout.catalogKey(), 0, -1));
    List<List<String>> rows = new ArrayList<>();
    for (Tuple entry : catalog) {
      Series series = Series.decode(entry.getElement());
      rows.add(List.of(series.product(), series.eventType(), time((long) entry.getScore())));
    }
    rows.sort(Comparator.<List<String>, String>comparing(row -> row.get(0))
        .thenComparing(row -> row.get(1)));
    return new Table(List.of(new Column("product", false), new Column("event_type", false),
        new Column("last_minute", false)), rows);
  }

  /**
   * The minutes of one series whose window starts in {@code [fromMs, toMs]}.
   *
   * @throws QueryException if the catalog does not know the series
   */
  public Table range(Series series, long fromMs, long toMs) {
    if (read(() -> redis.zscore(layout.catalogKey(), series.encoded())) == null) {
      throw new QueryException("no series with product '" + series.product() + "' and event_type '"
          + series.eventType() + "' in the mirror at " + where
          + " (it never had one, or it expired; 'tally query series' lists them)");
    }
    List<String> starts = read(() -> redis.zrangeByScore(layout.indexKey(series), fromMs, toMs));
    List<Map<String, String>> minutes = read(() -> {
      List<Response<Map<String, String>>> replies = new ArrayList<>();
      try (AbstractPipeline pipeline = redis.pipelined()) {
        for (String start : starts) {
          replies.add(pipeline.hgetAll(layout.minuteKey(series, Long.parseLong(start))));
        }
        pipeline.sync();
      }
      return replies.stream().map(Response::get).toList();
    });
    List<List<String>> rows = new ArrayList<>();
    for (Map<String, String> minute : minutes) {
      if (minute.isEmpty()) {
        // expired between the two reads
        continue;
      }
      rows.add(List.of(time(Long.parseLong(minute.get("window_start"))),
          time(Long.parseLong(minute.get("window_end"))), minute.get("count"),
          minute.get("unique_users"), Boolean.toString("1".equals(minute.get("is_final"))),
          time(Long.parseLong(minute.get("emitted_at")))));
    }
    return new Table(List.of(new Column("window_start", false), new Column("window_end", false),
        new Column("count", true), new Column("unique_users", true), new Column("final", false),
        new Column("emitted_at", false)), rows);
  }

  /** The {@code limit} series with the highest count (or unique users) in the minute starting at {@code windowStartMs}. */
  public Table top(long windowStartMs, Ranking by, int limit) {
    if (limit < 1) {
      throw new QueryException("the number of series must be at least 1, got " + limit);
    }
    Ranking other = by == Ranking.COUNT ? Ranking.USERS : Ranking.COUNT;
    List<Tuple> ranked = read(() -> redis.zrevrangeWithScores(layout.rankingKey(windowStartMs, by),
        0, limit - 1));
    List<String> members = ranked.stream().map(Tuple::getElement).toList();
    List<Double> others = members.isEmpty() ? List.of() : read(() -> redis.zmscore(
        layout.rankingKey(windowStartMs, other), members.toArray(String[]::new)));
    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < ranked.size(); i++) {
      Series series = Series.decode(members.get(i));
      String score = number(ranked.get(i).getScore());
      String otherScore = others.get(i) == null ? "" : number(others.get(i));
      rows.add(List.of(Integer.toString(i + 1), series.product(), series.eventType(),
          by == Ranking.COUNT ? score : otherScore, by == Ranking.COUNT ? otherScore : score));
    }
    return new Table(List.of(new Column("rank", true), new Column("product", false),
        new Column("event_type", false), new Column("count", true), new Column("unique_users", true)),
        rows);
  }

  /**
   * The HyperLogLog keys that cover the minutes starting in {@code [fromMs, toMs]}: whole UTC days
   * from day keys, whole hours from hour keys, the ragged ends from window keys.
   */
  public List<String> uniquesKeys(Series series, long fromMs, long toMs) {
    List<String> keys = new ArrayList<>();
    long start = Math.floorDiv(fromMs, MINUTE_MS) * MINUTE_MS;
    long end = Math.floorDiv(toMs, MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    while (start < end) {
      Span span = Span.WINDOW;
      for (Span whole : List.of(Span.DAY, Span.HOUR)) {
        if (whole.startOf(start) == start && start + whole.lengthMs() <= end) {
          span = whole;
          break;
        }
      }
      keys.add(layout.uniquesKey(series, span, start));
      start += span == Span.WINDOW ? MINUTE_MS : span.lengthMs();
    }
    return keys;
  }

  /**
   * Distinct users of one series in the minutes starting in {@code [fromMs, toMs]}, estimated from
   * the HyperLogLogs (one {@code PFCOUNT} over the keys of {@link #uniquesKeys}).
   */
  public Table uniques(Series series, long fromMs, long toMs) {
    List<String> keys = uniquesKeys(series, fromMs, toMs);
    long estimate = read(() -> redis.pfcount(keys.toArray(String[]::new)));
    long days = keys.stream().filter(key -> key.contains("}:d:")).count();
    long hours = keys.stream().filter(key -> key.contains("}:h:")).count();
    return new Table(List.of(new Column("product", false), new Column("event_type", false),
        new Column("from", false), new Column("to", false), new Column("unique_users", true),
        new Column("keys", false)),
        List.of(List.of(series.product(), series.eventType(), time(Math.floorDiv(fromMs, MINUTE_MS) * MINUTE_MS),
            time(Math.floorDiv(toMs, MINUTE_MS) * MINUTE_MS + MINUTE_MS), Long.toString(estimate),
            days + " days, " + hours + " hours, " + (keys.size() - days - hours) + " minutes")));
  }

  /**
   * The {@code limit} series with the most distinct users in the UTC hour or day holding {@code
   * atMs}, estimated from their HyperLogLogs.
   */
  public Table topUniques(Span span, long atMs, int limit) {
    if (limit < 1) {
      throw new QueryException("the number of series must be at least 1, got " + limit);
    }
    long start = span.startOf(atMs);
    List<String> members = new ArrayList<>(read(() -> redis.smembers(layout.uniquesSeriesKey(span, start))));
    List<Long> estimates = read(() -> {
      List<Response<Long>> replies = new ArrayList<>();
      try (AbstractPipeline pipeline = redis.pipelined()) {
        for (String member : members) {
          replies.add(pipeline.pfcount(layout.uniquesKey(Series.decode(member), span, start)));
        }
        pipeline.sync();
      }
      return replies.stream().map(Response::get).toList();
    });
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.<Integer>comparingLong(i -> -estimates.get(i)).thenComparing(members::get));
    List<List<String>> rows = new ArrayList<>();
    for (int rank = 0; rank < Math.min(limit, order.size()); rank++) {
      int i = order.get(rank);
      Series series = Series.decode(members.get(i));
      rows.add(List.of(Integer.toString(rank + 1), series.product(), series.eventType(),
          Long.toString(estimates.get(i))));
    }
    return new Table(List.of(new Column("rank", true), new Column("product", false),
        new Column("event_type", false), new Column("unique_users", true)), rows);
  }

  private static String number(double score) {
    return Long.toString((long) score);
  }

  private static String time(long epochMs) {
    return Instant.ofEpochMilli(epochMs).toString();
  }

  private <T> T read(Supplier<T> command) {
    try {
      return command.get();
    } catch (JedisException e) {
      throw failure(where, e);
    }
  }

  /** A message that says what went wrong in the analyst's terms. */
  static QueryException failure(String where, JedisException e) {
    if (e instanceof JedisConnectionException) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      String detail = root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
      if (detail.contains("WRONGPASS") || detail.contains("NOAUTH")) {
        return new QueryException("Redis refused the login to " + where + ": " + detail, e);
      }
      return new QueryException("cannot reach " + where + ": " + detail
          + " (is Redis running, and are --redis/--mode right?)", e);
    }
    if (e instanceof JedisDataException && String.valueOf(e.getMessage()).startsWith("NOPERM")) {
      return new QueryException("Redis refused the read at " + where + ": " + e.getMessage()
          + " (does the user's key pattern cover --prefix?)", e);
    }
    if (e instanceof JedisDataException && String.valueOf(e.getMessage()).startsWith("WRONGPASS")) {
      return new QueryException("Redis refused the login to " + where + ": " + e.getMessage(), e);
    }
    return new QueryException("Redis at " + where + " failed: " + e.getMessage(), e);
  }

  @Override
  public void close() {
    redis.close();
  }
}
