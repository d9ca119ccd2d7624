package dev.tally.connect.redis;

import dev.tally.schema.MinuteCount;
import dev.tally.testkit.RecordingSinkTaskContext;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ACL-configured test Redis, for tests in other packages: started with the shipped users,
 * filled through the sink task as the writer.
 */
public final class AclTestAccess implements AutoCloseable {

  private final AclRedis redis;
  private final Minutes minutes = new Minutes();

  private AclTestAccess(AclRedis redis) {
    this.redis = redis;
  }

  public static AclTestAccess start(Path dir) {
    return new AclTestAccess(new AclRedis(dir));
  }

  public static String analystPassword() {
    return AclRedis.password(AclRedis.ANALYST);
  }

  public String hostPort() {
    return redis.hostPort();
  }

  /** Mirrors {@code counts} through a sink task logged in as the writer. */
  public void write(List<MinuteCount> counts) {
    Map<String, String> settings = new HashMap<>(redis.writerSettings());
    RedisSinkTask task = new RedisSinkTask();
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    task.initialize(context);
    task.start(settings);
    try {
      task.put(minutes.records(counts.toArray(MinuteCount[]::new)));
    } finally {
      task.stop();
    }
    if (!context.reports().isEmpty()) {
      throw new IllegalStateException("records reported: " + context.reports());
    }
  }

  @Override
  public void close() {
    redis.close();
  }
}
