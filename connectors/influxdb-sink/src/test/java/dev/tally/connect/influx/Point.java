package dev.tally.connect.influx;

/** One point as read back from a server, for exact comparisons. */
record Point(String measurement, String eventType, String product, long value, long timestampNs) {

  static Point unique(String product, String eventType, long value, long timestampNs) {
    return new Point("unique_user_event", eventType, product, value, timestampNs);
  }

  static Point cumulative(String product, String eventType, long value, long timestampNs) {
    return new Point("cumulative_user_event", eventType, product, value, timestampNs);
  }
}
