package dev.tally.connect.redis;

import static dev.tally.connect.redis.Minutes.fin;
import static dev.tally.connect.redis.Minutes.minuteAgo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.connect.redis.KeyLayout.Series;
import dev.tally.testkit.RecordingSinkTaskContext;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;

/** The two shipped ACL users: the connector's writer and the analysts' read-only user. */
final class AclTest {

  private static AclRedis redis;
  private static UnifiedJedis admin;
  private final Minutes minutes = new Minutes();
  private RedisSinkTask task;

  @BeforeAll
  static void start() {
    redis = new AclRedis(Path.of("target", "redis-acl-" + System.nanoTime()));
    admin = redis.admin();
  }

  @AfterAll
  static void stop() {
    admin.close();
    redis.close();
  }

  @BeforeEach
  void empty() {
    admin.flushAll();
  }

  @AfterEach
  void stopTask() {
    if (task != null) {
      task.stop();
    }
  }

  private RedisSinkTask task(RecordingSinkTaskContext context, Map<String, String> extra) {
    Map<String, String> settings = new HashMap<>(redis.writerSettings());
    settings.putAll(extra);
    task = new RedisSinkTask();
    task.initialize(context);
    task.start(settings);
    return task;
  }

  private static void assertDenied(Executable command) {
    JedisDataException denied = assertThrows(JedisDataException.class, command);
    assertTrue(denied.getMessage().startsWith("NOPERM"), denied.getMessage());
  }

  @Test
  void theWriterMirrorsThroughTheConnector() {
    long ws = minuteAgo(2);
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    task(context, Map.of()).put(minutes.records(fin("live", "rails-5xx", ws, 2, 1)));
    assertTrue(context.reports().isEmpty(), context.reports().toString());
    assertEquals("2", admin.hget(RedisSinkSuite.LAYOUT.minuteKey(new Series("live", "rails-5xx"), ws),
        "count"));
  }

  @Test
  void theWriterCannotFlushNorTouchKeysOutsideThePrefix() {
    admin.set("other:key", "kept");
    try (UnifiedJedis writer = redis.client(AclRedis.WRITER)) {
      assertDenied(writer::flushAll);
      assertDenied(writer::flushDB);
      assertDenied(() -> writer.set("other:key", "overwritten"));
      assertDenied(() -> writer.del("other:key"));
      assertDenied(() -> writer.keys("*"));
      assertDenied(() -> writer.configSet("save", ""));
      writer.set("tally:probe", "1");
    }
    assertEquals("kept", admin.get("other:key"));
  }

  @Test
  void aWriteTheAclRefusesIsReportedWithItsKeyAndTheOthersGoOn() {
    long ws = minuteAgo(2);
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    // a prefix outside the writer's ~tally:* pattern: every write is refused, none is retried
    task(context, Map.of(RedisSinkConfig.KEY_PREFIX, "other:"))
        .put(minutes.records(fin("live", "rails-5xx", ws, 2, 1), fin("app", "crash", ws, 1, 1)));
    assertEquals(2, context.reports().size());
    String message = context.reports().get(0).error().getMessage();
    assertTrue(message.contains("other:minute:{live:rails-5xx}:" + ws) && message.contains("NOPERM"),
        message);
    assertTrue(context.timeouts().isEmpty());
  }

  @Test
  void aWrongPasswordFailsTheTaskWithTheCause() {
    RedisSinkTask task = task(RecordingSinkTaskContext.withReporter(), Map.of(RedisSinkConfig.PASSWORD, "wrong"));
    ConnectException failure = assertThrows(ConnectException.class,
        () -> task.put(minutes.records(fin("live", "rails-5xx", minuteAgo(2), 2, 1))));
    assertTrue(failure.getMessage().contains("WRONGPASS") && failure.getMessage().contains("redis.user"),
        failure.getMessage());
  }

  @Test
  void theAnalystReadsTheMirrorAndIsDeniedEveryWrite() {
    long ws = minuteAgo(2);
    task(RecordingSinkTaskContext.withReporter(), Map.of()).put(minutes.records(fin("live", "rails-5xx", ws, 2, 1)));
    String minuteKey = RedisSinkSuite.LAYOUT.minuteKey(new Series("live", "rails-5xx"), ws);
    admin.set("other:secret", "x");
    try (UnifiedJedis analyst = redis.client(AclRedis.ANALYST)) {
      assertEquals("2", analyst.hgetAll(minuteKey).get("count"));
      assertEquals(List.of("live:rails-5xx"), analyst.zrange("tally:series", 0, -1));

      assertDenied(() -> analyst.hset(minuteKey, "count", "999"));
      assertDenied(() -> analyst.del(minuteKey));
      assertDenied(() -> analyst.pexpire(minuteKey, 1));
      assertDenied(() -> analyst.set("tally:new", "x"));
      assertDenied(() -> analyst.eval("return 1", 0));
      assertDenied(analyst::flushAll);
      assertDenied(() -> analyst.get("other:secret"));
      assertDenied(() -> analyst.scan("0"));
      assertDenied(() -> analyst.keys("*"));
    }
    assertEquals("2", admin.hget(minuteKey, "count"));
  }
}
