package dev.tally.schema;

/**
 * One (product, event_type) series in one window: what a result record names, and the unit every
 * check of Tally's results compares (the tests, the benchmarks, the reliability harness). Ordered
 * by window start, then product, then event type.
 */
public record SeriesWindow(String product, String eventType, long windowStartMs)
    implements Comparable<SeriesWindow> {

  /** The series and window a result names. */
  public static SeriesWindow of(MinuteCount result) {
    return new SeriesWindow(result.getProduct(), result.getEventType(),
        result.getWindowStart().toEpochMilli());
  }

  /** The series and window a result's key names. */
  public static SeriesWindow of(MinuteKey key) {
    return new SeriesWindow(key.getProduct(), key.getEventType(), key.getWindowStart().toEpochMilli());
  }

  @Override
  public int compareTo(SeriesWindow other) {
    int byTime = Long.compare(windowStartMs, other.windowStartMs);
    if (byTime != 0) {
      return byTime;
    }
    int byProduct = product.compareTo(other.product);
    return byProduct != 0 ? byProduct : eventType.compareTo(other.eventType);
  }

  @Override
  public String toString() {
    return product + "/" + eventType + "@" + java.time.Instant.ofEpochMilli(windowStartMs);
  }
}
