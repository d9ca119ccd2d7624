package dev.tally.connect.influx;

import java.util.OptionalLong;

/**
 * How long to wait before writing a batch again after a failure that may pass (5xx, 429, timeout,
 * connection refused): exponential backoff from {@code initialBackoffMs}, capped at
 * {@code maxBackoffMs}, for at most {@code maxRetries} retries in a row ({@code -1}: no limit).
 *
 * <p>The wait itself is Connect's: the task hands the backoff to {@code SinkTaskContext.timeout}
 * and throws {@code RetriableException}, and the worker delivers the same records again after it.
 * Not thread-safe; one per task.
 */
final class Backoff {

  private final long initialBackoffMs;
  private final long maxBackoffMs;
  private final int maxRetries;
  private int failures;

  Backoff(long initialBackoffMs, long maxBackoffMs, int maxRetries) {
    if (initialBackoffMs < 1 || maxBackoffMs < initialBackoffMs || maxRetries < -1) {
      throw new IllegalArgumentException("need 1 <= initialBackoffMs <= maxBackoffMs and "
          + "maxRetries >= -1, got " + initialBackoffMs + ", " + maxBackoffMs + ", " + maxRetries);
    }
    this.initialBackoffMs = initialBackoffMs;
    this.maxBackoffMs = maxBackoffMs;
    this.maxRetries = maxRetries;
  }

  /**
   * Records one more failure in a row and returns the wait before the next attempt, or empty when
   * the retries are used up.
   */
  OptionalLong onFailure() {
    failures++;
    if (maxRetries >= 0 && failures > maxRetries) {
      return OptionalLong.empty();
    }
    // the shift is bounded so that a long outage cannot overflow the product
    int doublings = Math.min(failures - 1, 40);
    long backoff = initialBackoffMs << Math.min(doublings, Long.numberOfLeadingZeros(initialBackoffMs) - 1);
    return OptionalLong.of(Math.min(backoff, maxBackoffMs));
  }

  /** A write succeeded: the next failure starts from the initial backoff again. */
  void onSuccess() {
    failures = 0;
  }

  /** Failures in a row so far. */
  int failures() {
    return failures;
  }

  /** The limit, for messages: {@code -1} for none. */
  int maxRetries() {
    return maxRetries;
  }
}
