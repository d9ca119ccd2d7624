package dev.tally.gateway;

import java.util.Locale;

/**
 * The unit of a write request's timestamps, as InfluxDB's {@code precision} parameter names it. The
 * 1.x API takes {@code n}, {@code u}, {@code ms}, {@code s}, {@code m} and {@code h}; the 2.x API
 * {@code ns}, {@code us}, {@code ms} and {@code s}. Both spellings are accepted on both APIs, and no
 * parameter means nanoseconds, as in InfluxDB.
 */
public enum Precision {
  NANOSECONDS(1L),
  MICROSECONDS(1_000L),
  MILLISECONDS(1_000_000L),
  SECONDS(1_000_000_000L),
  MINUTES(60_000_000_000L),
  HOURS(3_600_000_000_000L);

  private final long nanos;

  Precision(long nanos) {
    this.nanos = nanos;
  }

  /** Nanoseconds per unit. */
  public long nanos() {
    return nanos;
  }

  /**
   * The precision a request names, nanoseconds when it names none.
   *
   * @throws IllegalArgumentException naming the value, for one InfluxDB does not know
   */
  public static Precision parse(String value) {
    if (value == null || value.isEmpty()) {
      return NANOSECONDS;
    }
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "n", "ns" -> NANOSECONDS;
      case "u", "us", "µ", "µs" -> MICROSECONDS;
      case "ms" -> MILLISECONDS;
      case "s" -> SECONDS;
      case "m" -> MINUTES;
      case "h" -> HOURS;
      default -> throw new IllegalArgumentException("invalid precision \"" + value
          + "\" (use n, u, ms, s, m or h)");
    };
  }
}
