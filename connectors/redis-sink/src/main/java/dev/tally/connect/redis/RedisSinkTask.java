package dev.tally.connect.redis;

import dev.tally.connect.redis.MinuteRecords.BadRecordException;
import dev.tally.connect.redis.MirrorWriter.Failed;
import dev.tally.connect.redis.MirrorWriter.NotReplicatedException;
import dev.tally.connect.redis.MirrorWriter.Outcome;
import dev.tally.connect.redis.RedisSinkConfig.PermanentFailureAction;
import dev.tally.connect.redis.RetryPolicy.Kind;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteUsers;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Mirrors a batch of {@code MinuteCount} records (results topic) and {@code MinuteUsers} records
 * (users topic) into Redis. It only orchestrates: decoding is
 * {@link MinuteRecords}, the mapping {@link MinuteWrite}, the I/O {@link MirrorWriter}, retry
 * decisions {@link RetryPolicy}.
 *
 * <p>{@link #put} returns only once every record of the batch is written or, when it never can be
 * (not a MinuteCount, NOPERM, WRONGTYPE...), handed to the errant-record reporter; so the offsets
 * Connect commits after it are safe. A transient failure anywhere in the batch throws a
 * {@link RetriableException} before anything is reported, and Connect delivers the same batch
 * again after {@code context.timeout(backoff)}; the writes already made are made again, harmlessly.
 */
public final class RedisSinkTask extends SinkTask {

  private static final Logger log = LoggerFactory.getLogger(RedisSinkTask.class);

  private final Clock clock;
  private RedisSinkConfig config;
  private KeyLayout layout;
  private RetryPolicy retryPolicy;
  private RedisEndpoint endpoint;
  private UnifiedJedis redis;
  private MirrorWriter writer;
  private ErrantRecordReporter reporter;
  private int failedAttempts;
  private long failingSinceMs = -1;
  private long expiredSkipped;

  public RedisSinkTask() {
    this(Clock.systemUTC());
  }

  /** With another clock, which decides what has expired. */
  RedisSinkTask(Clock clock) {
    this.clock = clock;
  }

  @Override
  public String version() {
    return RedisSinkConnector.VERSION;
  }

  @Override
  public void start(Map<String, String> props) {
    config = RedisSinkConfig.parse(props);
    layout = config.keyLayout();
    retryPolicy = config.retryPolicy();
    reporter = errantRecordReporter();
    if (config.onPermanentFailure() == PermanentFailureAction.REPORT && reporter == null) {
      log.warn("{}=report but the connector has no errant-record reporter (set "
          + "errors.deadletterqueue.topic.name or errors.log.enable=true, with errors.tolerance=all):"
          + " a record that cannot be written will fail the task", RedisSinkConfig.ON_PERMANENT_FAILURE);
    }
    endpoint = config.endpoint();
    log.info("Mirroring into {} under prefix '{}', retention {} ms", endpoint, layout.prefix(),
        config.retentionMs());
  }

  /**
   * Connects on first use, inside the retry handling: the cluster and Sentinel clients ask the
   * servers for their topology as they are built, and a Redis that is down when the task starts is
   * a transient failure like any other.
   */
  private MirrorWriter writer() {
    if (writer == null) {
      redis = endpoint.connect();
      writer = new MirrorWriter(redis, endpoint.waitReplicas(), endpoint.waitTimeoutMs());
    }
    return writer;
  }

  private ErrantRecordReporter errantRecordReporter() {
    try {
      return context == null ? null : context.errantRecordReporter();
    } catch (NoSuchMethodError | NoClassDefFoundError olderWorker) {
      // a worker before Kafka 2.6 has no reporter
      return null;
    }
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    if (records.isEmpty()) {
      return;
    }
    long now = clock.millis();
    List<SinkRecord> writtenRecords = new ArrayList<>(records.size());
    List<MinuteWrite> writes = new ArrayList<>(records.size());
    List<SinkRecord> usersRecords = new ArrayList<>();
    List<UsersWrite> usersWrites = new ArrayList<>();
    List<Rejected> rejected = new ArrayList<>();
    for (SinkRecord record : records) {
      try {
        Object value = MinuteRecords.decodeAny(record);
        if (value instanceof MinuteUsers users) {
          UsersWrite write = UsersWrite.of(users, layout, config.retentionMs(), now);
          if (write == null) {
            countExpired(record);
            continue;
          }
          usersRecords.add(record);
          usersWrites.add(write);
          continue;
        }
        MinuteWrite write = MinuteWrite.of((MinuteCount) value, layout, config.retentionMs(), now);
        if (write == null) {
          countExpired(record);
          continue;
        }
        writtenRecords.add(record);
        writes.add(write);
      } catch (BadRecordException e) {
        rejected.add(new Rejected(record, new DataException("Cannot mirror record "
            + coordinates(record) + ": " + e.getMessage(), e)));
      }
    }

    List<Outcome> outcomes = new ArrayList<>(writeOrRetry(writes));
    List<String> described = new ArrayList<>(outcomes.size() + usersWrites.size());
    for (MinuteWrite write : writes) {
      described.add(write.series() + " window_start=" + write.windowStartMs());
    }
    if (!usersWrites.isEmpty()) {
      outcomes.addAll(writeOrRetry(() -> writer().writeUsers(usersWrites)));
      writtenRecords.addAll(usersRecords);
      for (UsersWrite write : usersWrites) {
        described.add(write.series() + " window_start=" + write.windowStartMs() + ", users");
      }
    }
    Failed transientFailure = null;
    for (int i = 0; i < outcomes.size(); i++) {
      if (!(outcomes.get(i) instanceof Failed failed)) {
        continue;
      }
      SinkRecord record = writtenRecords.get(i);
      switch (RetryPolicy.classify(failed.cause())) {
        case TRANSIENT -> transientFailure = transientFailure == null ? failed : transientFailure;
        case FATAL -> throw fatal(failed.cause());
        case PERMANENT -> rejected.add(new Rejected(record, new ConnectException("Cannot write record "
            + coordinates(record) + " (" + described.get(i) + ") to key " + failed.key() + ": "
            + failed.cause().getMessage(), failed.cause())));
      }
    }
    if (transientFailure != null) {
      // before reporting anything: the whole batch comes again, the rejected records with it
      throw retry("key " + transientFailure.key() + ": " + transientFailure.cause().getMessage(),
          transientFailure.cause());
    }
    for (Rejected reject : rejected) {
      handlePermanent(reject);
    }
    failedAttempts = 0;
    failingSinceMs = -1;
  }

  private List<Outcome> writeOrRetry(List<MinuteWrite> writes) {
    if (writes.isEmpty()) {
      return List.of();
    }
    return writeOrRetry(() -> writer().write(writes));
  }

  private List<Outcome> writeOrRetry(java.util.function.Supplier<List<Outcome>> write) {
    try {
      return write.get();
    } catch (NotReplicatedException e) {
      throw retry(e.getMessage(), e);
    } catch (JedisException e) {
      if (RetryPolicy.classify(e) == Kind.TRANSIENT) {
        throw retry(String.valueOf(e.getMessage()), e);
      }
      throw fatal(e);
    }
  }

  private RuntimeException retry(String what, Throwable cause) {
    long now = clock.millis();
    if (failingSinceMs < 0) {
      failingSinceMs = now;
    }
    failedAttempts++;
    if (retryPolicy.givesUp(now - failingSinceMs)) {
      return new ConnectException("Redis writes have failed for " + (now - failingSinceMs)
          + " ms (" + failedAttempts + " attempts, " + RedisSinkConfig.RETRY_TIMEOUT_MS + "="
          + retryPolicy.timeoutMs() + "); giving up. Last failure, " + what, cause);
    }
    long backoff = retryPolicy.backoffMs(failedAttempts);
    context.timeout(backoff);
    log.warn("Transient Redis failure (attempt {}), retrying the batch in {} ms: {}", failedAttempts,
        backoff, what);
    return new RetriableException("Transient Redis failure, " + what, cause);
  }

  private ConnectException fatal(Throwable cause) {
    return new ConnectException("Redis refuses every write to " + endpoint + ": "
        + cause.getMessage() + " (check " + RedisSinkConfig.USER + ", " + RedisSinkConfig.PASSWORD
        + " and the TLS settings)", cause);
  }

  private void handlePermanent(Rejected reject) {
    if (config.onPermanentFailure() == PermanentFailureAction.FAIL) {
      throw new ConnectException(reject.error().getMessage() + " (" + RedisSinkConfig.ON_PERMANENT_FAILURE
          + "=fail)", reject.error());
    }
    if (reporter == null) {
      throw new ConnectException(reject.error().getMessage() + " (" + RedisSinkConfig.ON_PERMANENT_FAILURE
          + "=report, but there is no errant-record reporter: set errors.tolerance=all with "
          + "errors.deadletterqueue.topic.name or errors.log.enable=true)", reject.error());
    }
    log.warn("Reporting a record that cannot be mirrored: {}", reject.error().getMessage());
    // the worker waits for the report to complete before it commits the record's offset
    reporter.report(reject.record(), reject.error());
  }

  private void countExpired(SinkRecord record) {
    expiredSkipped++;
    if (expiredSkipped == 1 || expiredSkipped % 10_000 == 0) {
      log.info("Skipping records of windows older than {}={} ms ({} so far), e.g. {}",
          RedisSinkConfig.RETENTION_MS, config.retentionMs(), expiredSkipped, coordinates(record));
    }
  }

  private static String coordinates(SinkRecord record) {
    return record.topic() + "-" + record.kafkaPartition() + "@" + record.kafkaOffset();
  }

  @Override
  public void stop() {
    if (redis != null) {
      redis.close();
      redis = null;
      writer = null;
    }
  }

  /** A record that will never be written, and why. */
  private record Rejected(SinkRecord record, ConnectException error) {
  }
}
