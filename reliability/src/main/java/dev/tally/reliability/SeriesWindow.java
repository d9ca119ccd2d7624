package dev.tally.reliability;

/** One (product, event_type) series in one window, the unit every check compares. */
public record SeriesWindow(String product, String eventType, long windowStartMs)
    implements Comparable<SeriesWindow> {

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
    return product + "/" + eventType + "@" + windowStartMs;
  }
}
