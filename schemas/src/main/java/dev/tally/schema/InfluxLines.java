package dev.tally.schema;

import java.util.List;

/**
 * A per-minute result in InfluxDB line protocol, the form ops' dashboards read:
 *
 * <pre>
 * unique_user_event,event_type=rails-5xx,product=live value=1 1478507520000000000
 * cumulative_user_event,event_type=rails-5xx,product=live value=2 1478507520000000000
 * </pre>
 *
 * Measurement names, the tag keys {@code event_type} and {@code product}, and the field {@code value}
 * are a contract; the timestamp is the window start in nanoseconds. Hours and days of distinct users
 * ({@link RangeCount}) take {@code unique_user_event_1h} and {@code unique_user_event_1d}.
 *
 * <p>Two renderings of the same lines: {@link #of} prints the value as a bare number, as the demo
 * shows it; {@link #withIntegerValues} adds line protocol's integer suffix ({@code value=1i}), which
 * is what the InfluxDB sink writes, since InfluxDB stores a bare number as a float field.
 */
public final class InfluxLines {

  public static final String UNIQUE = "unique_user_event";
  public static final String CUMULATIVE = "cumulative_user_event";

  private InfluxLines() {
  }

  /** The two lines of one result: distinct users first, then the event count. */
  public static List<String> of(MinuteCount result) {
    return lines(result, "");
  }

  /**
   * The two lines of one result with {@code value} as an integer field
   * ({@code unique_user_event,event_type=rails-5xx,product=live value=1i 1478507520000000000}), in the
   * same order as {@link #of}.
   */
  public static List<String> withIntegerValues(MinuteCount result) {
    return lines(result, "i");
  }

  /**
   * The line of an hour's or day's distinct users, with {@code value} as an integer field: the
   * measurement {@code unique_user_event_1h} or {@code unique_user_event_1d}, the same tags, and
   * the hour's or day's start as the timestamp
   * ({@code unique_user_event_1h,event_type=rails-5xx,product=live value=812i 1478505600000000000}).
   */
  public static String withIntegerValue(RangeCount range) {
    return UNIQUE + "_" + range.getRange() + ",event_type=" + escapeTag(range.getEventType())
        + ",product=" + escapeTag(range.getProduct()) + " value=" + range.getUniqueUsers() + "i "
        + range.getRangeStart().toEpochMilli() * 1_000_000L;
  }

  private static List<String> lines(MinuteCount result, String valueSuffix) {
    String tags = ",event_type=" + escapeTag(result.getEventType()) + ",product="
        + escapeTag(result.getProduct());
    long timestampNs = result.getWindowStart().toEpochMilli() * 1_000_000L;
    return List.of(
        UNIQUE + tags + " value=" + result.getUniqueUsers() + valueSuffix + " " + timestampNs,
        CUMULATIVE + tags + " value=" + result.getCount() + valueSuffix + " " + timestampNs);
  }

  /**
   * Escapes a tag value: commas, equals signs and spaces get a backslash; a line break, which line
   * protocol cannot carry, is written as the two characters {@code \n}.
   */
  public static String escapeTag(String value) {
    StringBuilder out = new StringBuilder(value.length() + 8);
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case ',', '=', ' ' -> out.append('\\').append(c);
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
