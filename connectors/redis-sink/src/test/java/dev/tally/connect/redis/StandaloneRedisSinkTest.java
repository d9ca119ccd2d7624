package dev.tally.connect.redis;

import static dev.tally.connect.redis.Minutes.fin;
import static dev.tally.connect.redis.Minutes.minuteAgo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.connect.redis.KeyLayout.Series;
import dev.tally.localstack.RedisServer;
import dev.tally.testkit.RecordingSinkTaskContext;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/** The suite on one plain redis-server, plus what only a single server makes easy: stopping it. */
final class StandaloneRedisSinkTest extends RedisSinkSuite {

  private static final Path DIR = Path.of("target", "redis-standalone-" + System.nanoTime());
  private static RedisServer redis;
  private static UnifiedJedis admin;

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.start(DIR, 0);
    admin = RedisClient.create(redis.host(), redis.port());
  }

  @AfterAll
  static void stopRedis() {
    admin.close();
    redis.close();
  }

  @Override
  protected Map<String, String> connection() {
    return Map.of(RedisSinkConfig.HOSTS, redis.host() + ":" + redis.port());
  }

  @Override
  protected List<UnifiedJedis> dataNodes() {
    return List.of(admin);
  }

  @Override
  protected UnifiedJedis admin() {
    return admin;
  }

  @Test
  void aStoppedServerIsATransientFailureRetriedWithBackoffUntilItIsBack() {
    long ws = minuteAgo(2);
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    RedisSinkTask task = task(context, Map.of(RedisSinkConfig.RETRY_BACKOFF_MS, "100",
        RedisSinkConfig.RETRY_BACKOFF_MAX_MS, "300"));
    task.put(minutes.records(fin("live", "rails-5xx", ws, 1, 1)));

    int port = redis.port();
    redis.close();
    List<SinkRecord> batch = minutes.records(fin("app", "crash", ws, 3, 2));
    for (int attempt = 0; attempt < 3; attempt++) {
      RetriableException failure = assertThrows(RetriableException.class, () -> task.put(batch));
      assertTrue(failure.getMessage().startsWith("Transient Redis failure"), failure.getMessage());
    }
    assertEquals(List.of(100L, 200L, 300L), context.timeouts());

    redis = RedisServer.start(DIR, port);
    // the admin's pooled connections died with the server
    admin.close();
    admin = RedisClient.create(redis.host(), redis.port());
    task.put(batch);
    assertEquals("3", minute(new Series("app", "crash"), ws).get("count"));
    assertTrue(context.reports().isEmpty());
  }

  @Test
  void transientFailuresFailTheTaskOnceTheRetryTimeoutHasPassed() {
    RedisSinkTask task = task(RecordingSinkTaskContext.withReporter(), Map.of(RedisSinkConfig.HOSTS, "127.0.0.1:1",
        RedisSinkConfig.RETRY_TIMEOUT_MS, "0"));
    ConnectException failure = assertThrows(ConnectException.class,
        () -> task.put(minutes.records(fin("app", "crash", minuteAgo(2), 3, 2))));
    assertTrue(failure.getMessage().contains("giving up"), failure.getMessage());
  }
}
