package dev.tally.localstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real {@code redis-server}: RESP round trips, directories, a taken port, no process left behind. */
class RedisServerTest {

  @Test
  void answersPingSetAndGetThenStopsOnClose() throws Exception {
    RedisServer redis = RedisServer.start(null, 0);
    long pid = redis.pid();
    Path dir = redis.directory();
    try (redis; Resp resp = new Resp(redis.host(), redis.port())) {
      assertEquals("redis://127.0.0.1:" + redis.port(), redis.uri());
      assertEquals("PONG", resp.call("PING"));
      assertEquals("OK", resp.call("SET", "tally:greeting", "hello"));
      assertEquals("hello", resp.call("GET", "tally:greeting"));
      assertEquals(null, resp.call("GET", "tally:missing"));
    }
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "redis-server still runs");
    assertFalse(Files.exists(dir), "temporary directory kept");
    redis.close(); // idempotent
  }

  @Test
  void keepsTheCallersDirectoryWithItsLog(@TempDir Path tmp) {
    Path dir = tmp.resolve("redis");
    try (RedisServer redis = RedisServer.start(dir, 0)) {
      assertTrue(RedisServer.ping(redis.port()));
    }
    assertTrue(Files.exists(dir.resolve("redis.log")));
  }

  @Test
  void aTakenPortFailsWithTheServerLog() {
    try (RedisServer first = RedisServer.start(null, 0)) {
      IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
          () -> RedisServer.start(null, first.port()).close());
      assertTrue(e.getMessage().contains("Address already in use"), e.getMessage());
    }
  }
}
