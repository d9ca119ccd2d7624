package dev.tally.connect.redis;

import java.util.Locale;
import java.util.Set;
import javax.net.ssl.SSLHandshakeException;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Which Redis failures are worth retrying, and how long to wait between attempts.
 *
 * <p>Retrying is Connect's: the task throws a {@code RetriableException} after setting
 * {@code context.timeout(backoff)}, and the worker hands it the same batch again. That is safe
 * because every write is idempotent. This class only decides: {@link #classify} sorts a failure,
 * {@link #backoffMs} spaces the attempts (doubling, capped), {@link #givesUp} ends them.
 */
public final class RetryPolicy {

  /** What a failure means for the record or batch it hit. */
  public enum Kind {
    /** Will likely pass on its own: retry the batch. */
    TRANSIENT,
    /** This record can never be written: report it or fail, per configuration. */
    PERMANENT,
    /** No record can be written until someone changes the configuration: fail the task. */
    FATAL
  }

  /**
   * Error codes (first word of a Redis error reply) of a server that is starting, busy, failing
   * over, resharding or out of memory: all pass without anyone changing the connector.
   */
  private static final Set<String> TRANSIENT_CODES = Set.of("LOADING", "BUSY", "TRYAGAIN",
      "CLUSTERDOWN", "MASTERDOWN", "READONLY", "NOREPLICAS", "MOVED", "ASK", "UNBLOCKED", "MISCONF",
      "OOM", "NOMASTERLINK");

  /** Error codes that no record gets past: the login itself is refused. */
  private static final Set<String> FATAL_CODES = Set.of("WRONGPASS", "NOAUTH");

  private final long backoffMs;
  private final long maxBackoffMs;
  private final long timeoutMs;

  /**
   * @param backoffMs the first wait
   * @param maxBackoffMs the longest wait
   * @param timeoutMs how long after the first failure of a batch to give up, -1 for never
   */
  public RetryPolicy(long backoffMs, long maxBackoffMs, long timeoutMs) {
    this.backoffMs = backoffMs;
    this.maxBackoffMs = maxBackoffMs;
    this.timeoutMs = timeoutMs;
  }

  /** Sorts a failure thrown by Jedis (for one reply, or for a whole pipeline). */
  public static Kind classify(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof SSLHandshakeException) {
        // certificates and trust stores do not fix themselves
        return Kind.FATAL;
      }
      String code = errorCode(cause);
      if (FATAL_CODES.contains(code)) {
        return Kind.FATAL;
      }
    }
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof JedisConnectionException
          || cause instanceof JedisClusterOperationException) {
        return Kind.TRANSIENT;
      }
    }
    if (failure instanceof JedisDataException) {
      return TRANSIENT_CODES.contains(errorCode(failure)) ? Kind.TRANSIENT : Kind.PERMANENT;
    }
    return Kind.PERMANENT;
  }

  /** The first word of a Redis error reply, e.g. WRONGTYPE, NOPERM, ERR; "" if none. */
  static String errorCode(Throwable failure) {
    String message = failure.getMessage();
    if (message == null || message.isEmpty()) {
      return "";
    }
    int space = message.indexOf(' ');
    String word = space < 0 ? message : message.substring(0, space);
    return word.equals(word.toUpperCase(Locale.ROOT)) ? word : "";
  }

  /** The wait before attempt {@code attempt + 1}, after {@code attempt} (1, 2, ...) failures. */
  public long backoffMs(int attempt) {
    long wait = backoffMs;
    for (int i = 1; i < attempt && wait < maxBackoffMs; i++) {
      wait *= 2;
    }
    return Math.min(wait, maxBackoffMs);
  }

  /** Whether a batch failing since {@code failingForMs} should not be retried again. */
  public boolean givesUp(long failingForMs) {
    return timeoutMs >= 0 && failingForMs >= timeoutMs;
  }

  public long timeoutMs() {
    return timeoutMs;
  }
}
