package dev.tally.connect.redis;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The mirror's key names: a public interface, read by the {@code query} command and by anyone with
 * {@code redis-cli}. With the default prefix {@code tally:}:
 *
 * <pre>
 * tally:minute:{live:rails-5xx}:1478507520000   hash: one series in one minute (window start, ms)
 * tally:minutes:{live:rails-5xx}                sorted set: that series' minutes, scored by window start
 * tally:series                                  sorted set: known series, scored by their latest window start
 * tally:top:{1478507520000}:count               sorted set: series of that minute, scored by count
 * tally:top:{1478507520000}:users               sorted set: series of that minute, scored by unique users
 * tally:uniques:{live:rails-5xx}:m:1478507520000 HyperLogLog: that series' users in one window
 * tally:uniques:{live:rails-5xx}:h:1478505600000 HyperLogLog: its users in one UTC hour (start, ms)
 * tally:uniques:{live:rails-5xx}:d:1478476800000 HyperLogLog: its users in one UTC day (start, ms)
 * tally:uniques:series:h:1478505600000           set: series with users in that hour ({@code d:} a day)
 * </pre>
 *
 * <p>The HyperLogLogs are Redis's own ({@code PFADD}, {@code PFCOUNT}, 0.81% standard error); their
 * elements are the users topic's hashes, 8 bytes big-endian each. One series' HyperLogLogs share a
 * slot, so {@code PFCOUNT} over any of them (a range of minutes, hours and days) works on Redis
 * Cluster too.
 *
 * <p>A series is written {@code product:event_type}, each part escaped ({@link #escape}): every
 * byte outside {@code A-Z a-z 0-9 - _ .} becomes {@code %XX} (UTF-8, upper-case hex), so the parts
 * never contain {@code :}, {@code {}, {@code }} or spaces and the name splits back unambiguously.
 * The braces are Redis Cluster hash tags: one series' hash and index share a slot, which the
 * conditional write needs (a Lua script may only touch keys of one slot), and one minute's two
 * rankings share another.
 */
public final class KeyLayout {

  /** The default key prefix. */
  public static final String DEFAULT_PREFIX = "tally:";

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private final String prefix;

  /**
   * @param prefix put before every key; must not contain braces, which would move the hash tag
   */
  public KeyLayout(String prefix) {
    if (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
      throw new IllegalArgumentException("a key prefix must not contain '{' or '}': " + prefix);
    }
    this.prefix = prefix;
  }

  public String prefix() {
    return prefix;
  }

  /** The hash of one series in one minute. */
  public String minuteKey(Series series, long windowStartMs) {
    return prefix + "minute:{" + series.encoded() + "}:" + windowStartMs;
  }

  /** The time index of one series: members and scores are window starts (ms). */
  public String indexKey(Series series) {
    return prefix + "minutes:{" + series.encoded() + "}";
  }

  /** The catalog of series: members are {@link Series#encoded()}, scores their latest window start. */
  public String catalogKey() {
    return prefix + "series";
  }

  /** One minute's ranking of series ({@link Series#encoded()}) by count or by unique users. */
  public String rankingKey(long windowStartMs, Ranking ranking) {
    return prefix + "top:{" + windowStartMs + "}:" + ranking.suffix;
  }

  /** A series' HyperLogLog of distinct users over one span starting at {@code startMs}. */
  public String uniquesKey(Series series, Span span, long startMs) {
    return prefix + "uniques:{" + series.encoded() + "}:" + span.code + ":" + startMs;
  }

  /** The series with users in one hour or day: members are {@link Series#encoded()}. */
  public String uniquesSeriesKey(Span span, long startMs) {
    return prefix + "uniques:series:" + span.code + ":" + startMs;
  }

  /** The spans distinct users are kept over: a window (a minute by default), a UTC hour, a UTC day. */
  public enum Span {
    WINDOW("m", 0),
    HOUR("h", 3_600_000L),
    DAY("d", 86_400_000L);

    private final String code;
    private final long lengthMs;

    Span(String code, long lengthMs) {
      this.code = code;
      this.lengthMs = lengthMs;
    }

    /** The start of the hour or day holding {@code ms} (a window starts where it starts). */
    public long startOf(long ms) {
      return lengthMs == 0 ? ms : Math.floorDiv(ms, lengthMs) * lengthMs;
    }

    /** The hour's or day's length; 0 for a window, whose length the records say. */
    public long lengthMs() {
      return lengthMs;
    }
  }

  /** What a minute's series are ranked by. */
  public enum Ranking {
    /** cumulative_user_event. */
    COUNT("count"),
    /** unique_user_event. */
    USERS("users");

    private final String suffix;

    Ranking(String suffix) {
      this.suffix = suffix;
    }
  }

  /**
   * One series: a product and an event type, any strings.
   *
   * @param product the product, as Tally received it
   * @param eventType the event type, as Tally received it
   */
  public record Series(String product, String eventType) {

    public Series {
      Objects.requireNonNull(product, "product");
      Objects.requireNonNull(eventType, "eventType");
    }

    /** {@code escape(product) + ":" + escape(eventType)}: the form used in keys and rankings. */
    public String encoded() {
      return escape(product) + ":" + escape(eventType);
    }

    /**
     * The series of an {@link #encoded()} name.
     *
     * @throws IllegalArgumentException if {@code encoded} is not one
     */
    public static Series decode(String encoded) {
      int colon = encoded.indexOf(':');
      if (colon < 0 || encoded.indexOf(':', colon + 1) >= 0) {
        throw new IllegalArgumentException("not an encoded series (product:event_type): " + encoded);
      }
      return new Series(unescape(encoded.substring(0, colon)), unescape(encoded.substring(colon + 1)));
    }

    @Override
    public String toString() {
      return "product=" + product + " event_type=" + eventType;
    }
  }

  /** Percent-encodes every UTF-8 byte outside {@code A-Z a-z 0-9 - _ .}. */
  public static String escape(String value) {
    StringBuilder out = new StringBuilder(value.length() + 8);
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xFF;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.') {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    return out.toString();
  }

  /**
   * Reverses {@link #escape}.
   *
   * @throws IllegalArgumentException on a malformed escape or bytes that are not UTF-8
   */
  public static String unescape(String value) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '%') {
        if (i + 2 >= value.length()) {
          throw new IllegalArgumentException("truncated escape in " + value);
        }
        int high = Character.digit(value.charAt(i + 1), 16);
        int low = Character.digit(value.charAt(i + 2), 16);
        if (high < 0 || low < 0) {
          throw new IllegalArgumentException("bad escape in " + value);
        }
        bytes.write(high << 4 | low);
        i += 2;
      } else if (c < 0x80) {
        bytes.write(c);
      } else {
        throw new IllegalArgumentException("unescaped non-ASCII character in " + value);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalArgumentException("escaped bytes are not UTF-8 in " + value, e);
    }
  }
}
