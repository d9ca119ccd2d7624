package dev.tally.topology.time;

/**
 * Tumbling event-time windows: which window a timestamp falls in, and when a window closes.
 *
 * <p>A window {@code [start, start + size)} closes once the low watermark reaches
 * {@code start + size + grace}; an event for a closed window is late. This is Kafka Streams' own rule,
 * applied to Tally's low watermark instead of the stream time of one task.
 *
 * @param sizeMs window length, in milliseconds
 * @param graceMs how long after its end a window still accepts out-of-order events
 */
public record Windows(long sizeMs, long graceMs) {

  public Windows {
    if (sizeMs <= 0) {
      throw new IllegalArgumentException("window size must be positive: " + sizeMs);
    }
    if (graceMs < 0) {
      throw new IllegalArgumentException("grace must not be negative: " + graceMs);
    }
  }

  /** Start of the window that holds {@code timestampMs}. */
  public long startOf(long timestampMs) {
    return Math.floorDiv(timestampMs, sizeMs) * sizeMs;
  }

  public long endOf(long windowStart) {
    return windowStart + sizeMs;
  }

  /** True when the window starting at {@code windowStart} is closed under {@code watermarkMs}. */
  public boolean isClosed(long windowStart, long watermarkMs) {
    return watermarkMs != Long.MIN_VALUE && windowStart + sizeMs + graceMs <= watermarkMs;
  }

  /**
   * The first window start that is still open under {@code watermarkMs}: every window starting before
   * it is closed.
   */
  public long firstOpenStart(long watermarkMs) {
    if (watermarkMs == Long.MIN_VALUE) {
      return Long.MIN_VALUE;
    }
    return startOf(watermarkMs - sizeMs - graceMs) + sizeMs;
  }
}
