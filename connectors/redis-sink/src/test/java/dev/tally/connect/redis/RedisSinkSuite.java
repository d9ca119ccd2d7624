package dev.tally.connect.redis;

import static dev.tally.connect.redis.Minutes.MINUTE;
import static dev.tally.connect.redis.Minutes.fin;
import static dev.tally.connect.redis.Minutes.live;
import static dev.tally.connect.redis.Minutes.minuteAgo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.connect.redis.KeyLayout.Ranking;
import dev.tally.connect.redis.KeyLayout.Series;
import dev.tally.schema.Event;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteUsers;
import dev.tally.testkit.RecordingSinkTaskContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.Tuple;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * What the sink must do on every kind of Redis deployment. A subclass per flavour (standalone,
 * cluster, TLS, Sentinel) starts the servers and says how to reach them; the tests drive
 * {@link RedisSinkTask} directly, as a Connect worker would, and read Redis back as an admin.
 */
abstract class RedisSinkSuite {

  static final String PREFIX = KeyLayout.DEFAULT_PREFIX;
  static final KeyLayout LAYOUT = new KeyLayout(PREFIX);

  private final List<RedisSinkTask> tasks = new ArrayList<>();
  final Minutes minutes = new Minutes();

  /** The redis.* connection keys of this flavour (mode, hosts, credentials, TLS). */
  protected abstract Map<String, String> connection();

  /** An admin client per node that holds data (one, or every master of a cluster). */
  protected abstract List<UnifiedJedis> dataNodes();

  /** An admin client that reaches any key. */
  protected abstract UnifiedJedis admin();

  @BeforeEach
  void emptyRedis() {
    dataNodes().forEach(UnifiedJedis::flushAll);
  }

  @AfterEach
  void stopTasks() {
    tasks.forEach(RedisSinkTask::stop);
    tasks.clear();
  }

  /** A started task with this flavour's connection, {@code extra} settings and {@code context}. */
  RedisSinkTask task(RecordingSinkTaskContext context, Map<String, String> extra) {
    Map<String, String> settings = new HashMap<>(connection());
    settings.put("topics", Minutes.TOPIC);
    settings.put(RedisSinkConfig.RETRY_BACKOFF_MS, "100");
    settings.putAll(extra);
    RedisSinkTask task = new RedisSinkTask();
    task.initialize(context);
    task.start(settings);
    tasks.add(task);
    return task;
  }

  RedisSinkTask task(RecordingSinkTaskContext context) {
    return task(context, Map.of());
  }

  Map<String, String> snapshot() {
    return MirrorSnapshot.of(dataNodes(), PREFIX);
  }

  Map<String, String> minute(Series series, long windowStart) {
    return admin().hgetAll(LAYOUT.minuteKey(series, windowStart));
  }

  Map<String, Double> ranking(long windowStart, Ranking ranking) {
    Map<String, Double> scores = new HashMap<>();
    for (Tuple tuple : admin().zrangeWithScores(LAYOUT.rankingKey(windowStart, ranking), 0, -1)) {
      scores.put(tuple.getElement(), tuple.getScore());
    }
    return scores;
  }

  @Test
  void writesOneHashPerSeriesAndMinuteWithIndexCatalogAndRankings() {
    long ws = minuteAgo(3);
    task(RecordingSinkTaskContext.withReporter()).put(minutes.records(
        fin("live", "rails-5xx", ws, 2, 1),
        fin("live", "stuck_in_queue", ws, 1, 1),
        fin("automate", "browser_error", ws, 2, 2)));

    Series rails = new Series("live", "rails-5xx");
    assertEquals(Map.of("product", "live", "event_type", "rails-5xx",
        "window_start", Long.toString(ws), "window_end", Long.toString(ws + MINUTE),
        "count", "2", "unique_users", "1", "is_final", "1",
        "emitted_at", Long.toString(ws + MINUTE + 10_500)), minute(rails, ws));
    assertEquals(List.of(Long.toString(ws)), admin().zrangeByScore(LAYOUT.indexKey(rails), ws, ws));
    assertEquals(List.of("automate:browser_error", "live:rails-5xx", "live:stuck_in_queue"),
        admin().zrange(LAYOUT.catalogKey(), 0, -1));
    assertEquals(Map.of("live:rails-5xx", 2.0, "live:stuck_in_queue", 1.0,
        "automate:browser_error", 2.0), ranking(ws, Ranking.COUNT));
    assertEquals(Map.of("live:rails-5xx", 1.0, "live:stuck_in_queue", 1.0,
        "automate:browser_error", 2.0), ranking(ws, Ranking.USERS));

    long expiry = ws + MINUTE + RedisSinkConfig.DEFAULT_RETENTION_MS;
    assertEquals(expiry, admin().pexpireTime(LAYOUT.minuteKey(rails, ws)));
    assertEquals(expiry, admin().pexpireTime(LAYOUT.indexKey(rails)));
    assertEquals(expiry, admin().pexpireTime(LAYOUT.catalogKey()));
    assertEquals(expiry, admin().pexpireTime(LAYOUT.rankingKey(ws, Ranking.COUNT)));
    assertEquals(expiry, admin().pexpireTime(LAYOUT.rankingKey(ws, Ranking.USERS)));
  }

  /**
   * A day of one series' users, as the users topic carries them (two aggregating partitions, users
   * repeating across minutes, a skewed population), and a second, smaller series: every range from
   * a minute to the day, counted from the HyperLogLogs, within 2% (or 2 users) of the exact union;
   * a replay in another order changes nothing.
   */
  @Test
  void uniqueUsersOverAnyRangeComeFromTheHyperLogLogsWithinTheirError() {
    long day = Math.floorDiv(minuteAgo(0), 86_400_000L) * 86_400_000L - 86_400_000L; // yesterday, UTC
    java.util.Random random = new java.util.Random(20);
    List<MinuteUsers> values = new ArrayList<>();
    List<Set<Long>> perMinute = new ArrayList<>();
    for (int m = 0; m < 1440; m++) {
      Set<Long> users = new java.util.HashSet<>();
      int n = 20 + random.nextInt(60);
      for (int i = 0; i < n; i++) {
        double r = random.nextDouble();
        users.add(hash("user-" + (long) (20_000 * r * r * r))); // a few users most of the time
      }
      perMinute.add(users);
      List<Long> even = new ArrayList<>();
      List<Long> odd = new ArrayList<>();
      for (long user : users) {
        ((user & 1) == 0 ? even : odd).add(user);
      }
      values.add(Minutes.users("live", "rails-5xx", day + m * MINUTE, 0, even));
      values.add(Minutes.users("live", "rails-5xx", day + m * MINUTE, 1, odd));
      if (m % 60 == 7) {
        values.add(Minutes.users("live", "stuck_in_queue", day + m * MINUTE, 0,
            List.of(hash("a" + m), hash("b" + m))));
      }
    }
    Map<String, String> retention = Map.of(RedisSinkConfig.RETENTION_MS, Long.toString(30L * 86_400_000L));
    RedisSinkTask task = task(RecordingSinkTaskContext.withReporter(), retention);
    for (int from = 0; from < values.size(); from += 500) {
      task.put(minutes.usersRecords(values.subList(from, Math.min(values.size(), from + 500))));
    }

    Series rails = new Series("live", "rails-5xx");
    try (dev.tally.connect.redis.query.MirrorReader reader = dev.tally.connect.redis.query.MirrorReader.open(
        RedisSinkConfig.parse(settings(retention)).endpoint(), PREFIX)) {
      int[][] ranges = {{0, 0}, {600, 614}, {60, 119}, {61, 150}, {0, 359}, {725, 1439}, {1, 1438}, {0, 1439}};
      for (int[] range : ranges) {
        Set<Long> union = new java.util.HashSet<>();
        for (int m = range[0]; m <= range[1]; m++) {
          union.addAll(perMinute.get(m));
        }
        long estimate = Long.parseLong(reader.uniques(rails, day + range[0] * MINUTE, day + range[1] * MINUTE)
            .rows().get(0).get(4));
        double allowed = Math.max(2, 0.02 * union.size());
        assertTrue(Math.abs(estimate - union.size()) <= allowed, "minutes " + range[0] + " to " + range[1]
            + ": " + estimate + " estimated, " + union.size() + " exact");
      }
      assertEquals(List.of(LAYOUT.uniquesKey(rails, KeyLayout.Span.DAY, day)),
          reader.uniquesKeys(rails, day, day + 1439 * MINUTE), "a whole day is one key");
      assertEquals(2 + 22 + 59, reader.uniquesKeys(rails, day + 58 * MINUTE, day + 1439 * MINUTE - MINUTE).size(),
          "two minutes, the hours, then 59 minutes");
      List<List<String>> top = reader.topUniques(KeyLayout.Span.DAY, day + 5, 10).rows();
      assertEquals(List.of("1", "live", "rails-5xx"), top.get(0).subList(0, 3));
      assertEquals(List.of("2", "live", "stuck_in_queue", "48"), top.get(1));
    }

    Map<String, String> before = snapshot();
    List<MinuteUsers> shuffled = new ArrayList<>(values);
    java.util.Collections.shuffle(shuffled, new java.util.Random(21));
    task.put(minutes.usersRecords(shuffled));
    assertEquals(before, snapshot(), "a replay, in another order, changed the mirror");
    long expiry = day + 86_400_000L + 30L * 86_400_000L;
    assertEquals(expiry, admin().pexpireTime(LAYOUT.uniquesKey(rails, KeyLayout.Span.DAY, day)));
  }

  /** A users-topic hash (any 64-bit hash does for the sink; Tally's is XXH3). */
  private static long hash(String user) {
    long h = 1125899906842597L;
    for (int i = 0; i < user.length(); i++) {
      h = 31 * h + user.charAt(i);
    }
    return h * 0x9E3779B97F4A7C15L ^ (h >>> 29);
  }

  /** This flavour's sink settings with {@code extra}. */
  Map<String, String> settings(Map<String, String> extra) {
    Map<String, String> settings = new HashMap<>(connection());
    settings.put("topics", Minutes.TOPIC);
    settings.putAll(extra);
    return settings;
  }

  @Test
  void aFinalValueIsNeverOverwrittenByALiveUpdateThatArrivesAfterIt() {
    long ws = minuteAgo(2);
    Series series = new Series("live", "rails-5xx");
    RedisSinkTask task = task(RecordingSinkTaskContext.withReporter());
    task.put(minutes.records(live("live", "rails-5xx", ws, 5, 3, 20), fin("live", "rails-5xx", ws, 9, 4)));
    // a late live update, in its own batch, then one in the same batch as a replayed final
    task.put(minutes.records(live("live", "rails-5xx", ws, 7, 3, 40)));
    task.put(minutes.records(fin("live", "rails-5xx", ws, 9, 4), live("live", "rails-5xx", ws, 8, 3, 50)));

    assertEquals("9", minute(series, ws).get("count"));
    assertEquals("4", minute(series, ws).get("unique_users"));
    assertEquals("1", minute(series, ws).get("is_final"));
    assertEquals(Map.of("live:rails-5xx", 9.0), ranking(ws, Ranking.COUNT));
    assertEquals(Map.of("live:rails-5xx", 4.0), ranking(ws, Ranking.USERS));
  }

  @Test
  void liveUpdatesKeepTheLatestComputationAndTheFinalReplacesThem() {
    long ws = minuteAgo(1);
    Series series = new Series("live", "rails-5xx");
    RedisSinkTask task = task(RecordingSinkTaskContext.withReporter());
    task.put(minutes.records(live("live", "rails-5xx", ws, 7, 3, 40)));
    task.put(minutes.records(live("live", "rails-5xx", ws, 5, 2, 20)));
    assertEquals("7", minute(series, ws).get("count"));
    assertEquals("0", minute(series, ws).get("is_final"));

    task.put(minutes.records(fin("live", "rails-5xx", ws, 8, 3)));
    assertEquals("8", minute(series, ws).get("count"));
    assertEquals("1", minute(series, ws).get("is_final"));
    assertEquals(Map.of("live:rails-5xx", 8.0), ranking(ws, Ranking.COUNT));
  }

  /** Live updates and finals over several minutes and series, some windows still open. */
  List<MinuteCount> history() {
    List<MinuteCount> history = new ArrayList<>();
    String[][] series = {{"live", "rails-5xx"}, {"automate", "browser_error"}, {"app", "crash"},
        {"odd:product {x}", "évènement|1"}};
    for (int m = 6; m >= 1; m--) {
      long ws = minuteAgo(m);
      for (int s = 0; s < series.length; s++) {
        long base = 10L * m + s;
        history.add(live(series[s][0], series[s][1], ws, base, base / 2, 15));
        history.add(live(series[s][0], series[s][1], ws, base + 3, base / 2 + 1, 45));
        if (m > 1) {
          history.add(fin(series[s][0], series[s][1], ws, base + 5, base / 2 + 1));
        }
      }
    }
    return history;
  }

  void writeInBatches(RedisSinkTask task, List<MinuteCount> counts, int batchSize) {
    for (int i = 0; i < counts.size(); i += batchSize) {
      task.put(minutes.records(counts.subList(i, Math.min(counts.size(), i + batchSize))
          .toArray(MinuteCount[]::new)));
    }
  }

  @Test
  void replayingTheTopicFromTheStartGivesTheSameState() {
    List<MinuteCount> history = history();
    writeInBatches(task(RecordingSinkTaskContext.withReporter()), history, 7);
    Map<String, String> before = snapshot();
    assertEquals(6 * 4 + 4 + 1 + 6 * 2, before.size(), before.keySet().toString());

    // the same task again, and a fresh one with other batch boundaries
    writeInBatches(task(RecordingSinkTaskContext.withReporter()), history, 7);
    assertEquals(before, snapshot());
    writeInBatches(task(RecordingSinkTaskContext.withReporter()), history, 5);
    assertEquals(before, snapshot());
  }

  @Test
  void afterRedisLosesItsDataAReplayRebuildsTheSameState() {
    List<MinuteCount> history = history();
    writeInBatches(task(RecordingSinkTaskContext.withReporter()), history, 10);
    Map<String, String> before = snapshot();

    dataNodes().forEach(UnifiedJedis::flushAll);
    assertTrue(snapshot().isEmpty());
    writeInBatches(task(RecordingSinkTaskContext.withReporter()), history, 10);
    assertEquals(before, snapshot());
  }

  @Test
  void aRecordThatIsNotAMinuteCountIsReportedAndTheOthersAreWritten() throws IOException {
    long ws = minuteAgo(2);
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    List<SinkRecord> batch = new ArrayList<>(minutes.records(fin("live", "rails-5xx", ws, 2, 1)));
    SinkRecord garbage = minutes.record(null, new byte[] {1, 2, 3});
    ByteBuffer event = Event.newBuilder().setEventType("x").setProduct("y").setUsername("u")
        .setTimestamp(Instant.ofEpochMilli(ws)).build().toByteBuffer();
    byte[] eventBytes = new byte[event.remaining()];
    event.get(eventBytes);
    SinkRecord wrongSchema = minutes.record(null, eventBytes);
    SinkRecord noValue = minutes.record(null, null);
    batch.add(garbage);
    batch.add(wrongSchema);
    batch.add(noValue);
    batch.addAll(minutes.records(fin("app", "crash", ws, 3, 3)));

    task(context).put(batch);

    assertEquals(List.of(garbage, wrongSchema, noValue),
        context.reports().stream().map(RecordingSinkTaskContext.Report::record).toList());
    assertTrue(context.reports().get(1).error().getMessage()
        .contains("not an Avro single-object MinuteCount"), context.reports().get(1).error().getMessage());
    assertTrue(context.reports().get(1).error().getMessage().contains(Minutes.TOPIC + "-0@"));
    assertEquals("2", minute(new Series("live", "rails-5xx"), ws).get("count"));
    assertEquals("3", minute(new Series("app", "crash"), ws).get("count"));
  }

  @Test
  void aRecordThatIsNotAMinuteCountFailsTheTaskWhenSoConfigured() {
    RedisSinkTask task = task(RecordingSinkTaskContext.withReporter(), Map.of(RedisSinkConfig.ON_PERMANENT_FAILURE, "fail"));
    ConnectException failure = assertThrows(ConnectException.class,
        () -> task.put(List.of(minutes.record(null, new byte[] {1, 2, 3}))));
    assertTrue(failure.getMessage().contains("not an Avro single-object MinuteCount"), failure.getMessage());
  }

  @Test
  void eachReplyIsCheckedSoOneFailedCommandNeitherHidesNorSinksTheOthers() {
    long ws = minuteAgo(2);
    Series blocked = new Series("app", "crash");
    String blockedKey = LAYOUT.minuteKey(blocked, ws);
    admin().set(blockedKey, "not a hash");
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();

    task(context).put(minutes.records(fin("live", "rails-5xx", ws, 2, 1), fin("app", "crash", ws, 3, 3),
        fin("automate", "browser_error", ws, 4, 2)));

    assertEquals(1, context.reports().size());
    String message = context.reports().get(0).error().getMessage();
    assertTrue(message.contains(blockedKey) && message.contains("WRONGTYPE"), message);
    assertEquals("2", minute(new Series("live", "rails-5xx"), ws).get("count"));
    assertEquals("4", minute(new Series("automate", "browser_error"), ws).get("count"));
    assertEquals("not a hash", admin().get(blockedKey));
    assertFalse(ranking(ws, Ranking.COUNT).containsKey(blocked.encoded()));
  }

  @Test
  void aPermanentWriteFailureFailsTheTaskNamingTheKeyWhenSoConfigured() {
    long ws = minuteAgo(2);
    String blockedKey = LAYOUT.minuteKey(new Series("app", "crash"), ws);
    admin().set(blockedKey, "not a hash");
    RedisSinkTask task = task(RecordingSinkTaskContext.withReporter(), Map.of(RedisSinkConfig.ON_PERMANENT_FAILURE, "fail"));

    ConnectException failure = assertThrows(ConnectException.class,
        () -> task.put(minutes.records(fin("app", "crash", ws, 3, 3))));
    assertTrue(failure.getMessage().contains(blockedKey) && failure.getMessage().contains("WRONGTYPE"),
        failure.getMessage());
  }

  @Test
  void anyProductOrEventTypeRoundTrips() {
    long ws = minuteAgo(2);
    String product = "we:ird|{prod} uct %41";
    String eventType = "ünï cödé:{}|日本 }{";
    task(RecordingSinkTaskContext.withReporter()).put(minutes.records(fin(product, eventType, ws, 5, 2),
        fin("{", "}", ws, 1, 1)));

    Series series = new Series(product, eventType);
    Map<String, String> hash = minute(series, ws);
    assertEquals(product, hash.get("product"));
    assertEquals(eventType, hash.get("event_type"));
    List<Series> catalog = admin().zrange(LAYOUT.catalogKey(), 0, -1).stream().map(Series::decode)
        .toList();
    assertTrue(catalog.contains(series) && catalog.contains(new Series("{", "}")), catalog.toString());
    assertEquals(JedisClusterCRC16.getSlot(LAYOUT.minuteKey(series, ws)),
        JedisClusterCRC16.getSlot(LAYOUT.indexKey(series)));
  }

  @Test
  void recordsOfWindowsOlderThanTheRetentionAreSkipped() {
    long old = minuteAgo(10);
    long recent = minuteAgo(1);
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    task(context, Map.of(RedisSinkConfig.RETENTION_MS, "300000"))
        .put(minutes.records(fin("live", "rails-5xx", old, 1, 1), fin("live", "rails-5xx", recent, 2, 2)));

    assertTrue(minute(new Series("live", "rails-5xx"), old).isEmpty());
    assertEquals("2", minute(new Series("live", "rails-5xx"), recent).get("count"));
    assertEquals(recent + MINUTE + 300_000, admin().pexpireTime(LAYOUT.minuteKey(new Series("live", "rails-5xx"), recent)));
    assertTrue(context.reports().isEmpty());
  }
}
