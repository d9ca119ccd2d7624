package dev.tally.connect.redis.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.connect.redis.AclTestAccess;
import dev.tally.connect.redis.RedisEndpoint;
import dev.tally.schema.MinuteCount;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The query command's work, as the read-only analyst user, against a mirror the sink wrote. */
final class MirrorQueryTest {

  private static final long MINUTE = 60_000;
  private static AclTestAccess redis;
  private static long ws;
  private static Clock clock;

  @BeforeAll
  static void mirror() {
    redis = AclTestAccess.start(Path.of("target", "redis-query-" + System.nanoTime()));
    long now = System.currentTimeMillis();
    ws = now - now % MINUTE - 3 * MINUTE;
    clock = Clock.fixed(Instant.ofEpochMilli(ws + 3 * MINUTE + 5_000), ZoneOffset.UTC);
    redis.write(List.of(
        count("live", "rails-5xx", ws - MINUTE, 4, 2, true),
        count("live", "rails-5xx", ws, 2, 1, true),
        count("live", "stuck_in_queue", ws, 1, 1, true),
        count("automate", "browser_error", ws, 3, 3, true),
        count("we:ird {x}|", "ünï cödé", ws, 7, 1, true),
        count("live", "rails-5xx", ws + MINUTE, 5, 2, false)));
  }

  @AfterAll
  static void stop() {
    redis.close();
  }

  private static MinuteCount count(String product, String eventType, long start, long count,
      long users, boolean isFinal) {
    return MinuteCount.newBuilder().setProduct(product).setEventType(eventType)
        .setWindowStart(Instant.ofEpochMilli(start)).setWindowEnd(Instant.ofEpochMilli(start + MINUTE))
        .setCount(count).setUniqueUsers(users).setIsFinal(isFinal)
        .setEmittedAt(Instant.ofEpochMilli(start + (isFinal ? MINUTE + 10_000 : 30_000))).build();
  }

  private static RedisEndpoint analyst() {
    return QueryOptions.endpoint(null, QueryOptions.overrides(redis.hostPort(), null, null, false,
        null, null, null, null), QueryOptions.DEFAULT_USER, AclTestAccess.analystPassword());
  }

  private static String run(String format, java.util.function.Consumer<QueryRunner> query) {
    StringWriter out = new StringWriter();
    query.accept(new QueryRunner(analyst(), "tally:", format, new PrintWriter(out), clock));
    return out.toString();
  }

  private static String at(long ms) {
    return Instant.ofEpochMilli(ms).toString();
  }

  @Test
  void seriesListsEveryKnownSeriesWithItsLatestMinute() {
    assertEquals("product      event_type      last_minute\n"
        + "-----------  --------------  " + "-".repeat(at(ws).length()) + "\n"
        + "automate     browser_error   " + at(ws) + "\n"
        + "live         rails-5xx       " + at(ws + MINUTE) + "\n"
        + "live         stuck_in_queue  " + at(ws) + "\n"
        + "we:ird {x}|  ünï cödé        " + at(ws) + "\n", run("table", QueryRunner::series));
  }

  @Test
  void rangeGivesOneSeriesMinuteByMinuteInJson() {
    String json = run("json", q -> q.range("live", "rails-5xx", "-5m", "now"));
    assertEquals("[\n"
        + "  {\"window_start\": \"" + at(ws - MINUTE) + "\", \"window_end\": \"" + at(ws) + "\", \"count\": 4, "
        + "\"unique_users\": 2, \"final\": true, \"emitted_at\": \"" + at(ws + 10_000) + "\"},\n"
        + "  {\"window_start\": \"" + at(ws) + "\", \"window_end\": \"" + at(ws + MINUTE) + "\", \"count\": 2, "
        + "\"unique_users\": 1, \"final\": true, \"emitted_at\": \"" + at(ws + MINUTE + 10_000) + "\"},\n"
        + "  {\"window_start\": \"" + at(ws + MINUTE) + "\", \"window_end\": \"" + at(ws + 2 * MINUTE)
        + "\", \"count\": 5, \"unique_users\": 2, \"final\": false, \"emitted_at\": \""
        + at(ws + MINUTE + 30_000) + "\"}\n"
        + "]\n", json);
    String csv = run("csv", q -> q.range("live", "rails-5xx", at(ws), Long.toString(ws)));
    assertEquals("window_start,window_end,count,unique_users,final,emitted_at\r\n"
        + at(ws) + "," + at(ws + MINUTE) + ",2,1,true," + at(ws + MINUTE + 10_000) + "\r\n", csv);
  }

  @Test
  void anAwkwardSeriesIsFoundByItsOwnName() {
    assertTrue(run("csv", q -> q.range("we:ird {x}|", "ünï cödé", "-1d", "now")).contains(",7,1,true,"));
  }

  @Test
  void topRanksTheSeriesOfAMinuteByCountOrUsers() {
    assertEquals("rank,product,event_type,count,unique_users\r\n"
        + "1,we:ird {x}|,ünï cödé,7,1\r\n"
        + "2,automate,browser_error,3,3\r\n", run("csv", q -> q.top(at(ws + 30_000), "count", 2)));
    assertEquals("rank,product,event_type,count,unique_users\r\n"
        + "1,automate,browser_error,3,3\r\n", run("csv", q -> q.top(at(ws), "users", 1)));
    assertEquals("[]\n", run("json", q -> q.top(at(ws - 10 * MINUTE), "count", 5)));
  }

  @Test
  void aSeriesThatDoesNotExistIsAClearError() {
    QueryException failure = assertThrows(QueryException.class,
        () -> run("table", q -> q.range("live", "no-such-event", "-1h", "now")));
    assertTrue(failure.getMessage().startsWith("no series with product 'live' and event_type "
        + "'no-such-event' in the mirror"), failure.getMessage());
  }

  @Test
  void aRedisThatIsDownIsAClearError() {
    RedisEndpoint nowhere = QueryOptions.endpoint(null, Map.of("redis.hosts", "127.0.0.1:1"),
        "tally-analyst", "x");
    QueryException failure = assertThrows(QueryException.class, () -> new QueryRunner(nowhere,
        "tally:", "table", new PrintWriter(new StringWriter()), clock).series());
    assertTrue(failure.getMessage().startsWith("cannot reach Redis 127.0.0.1:1 as tally-analyst"),
        failure.getMessage());
  }

  @Test
  void aWrongPasswordAndBadOptionsAreClearErrors() {
    RedisEndpoint wrong = QueryOptions.endpoint(null, Map.of("redis.hosts", redis.hostPort()),
        "tally-analyst", "wrong");
    QueryException login = assertThrows(QueryException.class, () -> new QueryRunner(wrong, "tally:",
        "table", new PrintWriter(new StringWriter()), clock).series());
    assertTrue(login.getMessage().contains("WRONGPASS"), login.getMessage());

    QueryException time = assertThrows(QueryException.class,
        () -> run("table", q -> q.range("live", "rails-5xx", "yesterday", "now")));
    assertTrue(time.getMessage().startsWith("--from: cannot read 'yesterday' as a time"), time.getMessage());
    QueryException by = assertThrows(QueryException.class, () -> run("table", q -> q.top("now", "speed", 3)));
    assertTrue(by.getMessage().contains("use count or users"), by.getMessage());
    QueryException mode = assertThrows(QueryException.class,
        () -> QueryOptions.endpoint(null, Map.of("redis.mode", "ring"), "a", null));
    assertTrue(mode.getMessage().contains("redis.mode") && mode.getMessage().contains("standalone"),
        mode.getMessage());
  }

  @Test
  void theSinksPropertiesFileGivesTheConnectionButNeverItsWriterLogin() throws Exception {
    Path file = Path.of("target", "query-" + System.nanoTime() + ".properties");
    Files.writeString(file, "redis.hosts=" + redis.hostPort() + "\nredis.user=tally-writer\n"
        + "redis.password=tally-writer-secret\nredis.key.prefix=tally:\ntopics=minute-counts\n");
    RedisEndpoint endpoint = QueryOptions.endpoint(file, Map.of(), "tally-analyst",
        AclTestAccess.analystPassword());
    assertEquals("tally-analyst", endpoint.user());
    assertEquals("tally:", QueryOptions.prefix(file, null));
    assertTrue(run("table", QueryRunner::series).contains("browser_error"));
  }

  @Test
  void timesAreReadInSeveralForms() {
    Clock at = Clock.fixed(Instant.parse("2016-11-07T08:33:00Z"), ZoneOffset.UTC);
    long expected = Instant.parse("2016-11-07T08:32:00Z").toEpochMilli();
    assertEquals(expected, QueryOptions.time("t", "2016-11-07T08:32:00Z", at));
    assertEquals(expected, QueryOptions.time("t", "2016-11-07T08:32", at));
    assertEquals(expected, QueryOptions.time("t", Long.toString(expected), at));
    assertEquals(expected, QueryOptions.time("t", "-1m", at));
    assertEquals(expected, QueryOptions.time("t", "now-60s", at));
    assertEquals(expected + 60_000, QueryOptions.time("t", "now", at));
    assertEquals(expected, QueryOptions.minuteOf(expected + 59_999));
  }
}
