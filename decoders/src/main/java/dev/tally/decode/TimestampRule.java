package dev.tally.decode;

import java.nio.charset.StandardCharsets;

/**
 * The one rule every format's timestamps obey: nanoseconds since the epoch, and nothing that looks
 * like a coarser unit. Producers that send seconds or milliseconds would otherwise land their events
 * in 1970 and silently vanish from every live window.
 */
final class TimestampRule {

  /**
   * 1973-03-03T09:46:40Z in nanoseconds. Today in seconds (~1.7e9), milliseconds (~1.7e12) and
   * microseconds (~1.7e15) are all far below it, and no real event predates it.
   */
  static final long MIN_NANOS = 100_000_000_000_000_000L;

  private static final long NANOS_PER_MILLI = 1_000_000L;

  private TimestampRule() {}

  static boolean isNanos(long timestamp) {
    return timestamp >= MIN_NANOS;
  }

  /** Why {@code timestamp} was refused, with a guess at the unit the producer used. */
  static String notNanosMessage(long timestamp) {
    return "timestamp " + timestamp + " is not nanoseconds since the epoch (" + unitGuess(timestamp)
        + "); expected at least " + MIN_NANOS;
  }

  /**
   * The timestamp of an event that carries none: its Kafka record's, scaled to nanoseconds, or
   * {@link Long#MIN_VALUE} (which fails {@link #isNanos}) when that would overflow.
   */
  static long fromRecordMillis(long recordTimestampMs) {
    if (recordTimestampMs > Long.MAX_VALUE / NANOS_PER_MILLI || recordTimestampMs < Long.MIN_VALUE / NANOS_PER_MILLI) {
      return Long.MIN_VALUE;
    }
    return recordTimestampMs * NANOS_PER_MILLI;
  }

  static String unusableRecordTimestampMessage(long recordTimestampMs) {
    return "event has no timestamp and its record timestamp (" + recordTimestampMs
        + " ms) does not give nanoseconds since the epoch of at least " + MIN_NANOS;
  }

  /**
   * Parses an optionally negative decimal integer from ASCII bytes, the shape both line protocol and
   * JSON string timestamps take.
   *
   * @throws NumberFormatException with a message naming the text, when it is not such an integer or
   *     does not fit a long
   */
  static long parseDecimal(byte[] bytes, int from, int to) {
    int i = from;
    boolean negative = i < to && bytes[i] == '-';
    if (negative) {
      i++;
    }
    if (i == to) {
      throw notAnInteger(bytes, from, to);
    }
    // Accumulate negatively: the negative range is one larger, so Long.MIN_VALUE parses too.
    long value = 0;
    try {
      for (; i < to; i++) {
        int digit = bytes[i] - '0';
        if (digit < 0 || digit > 9) {
          throw notAnInteger(bytes, from, to);
        }
        value = Math.subtractExact(Math.multiplyExact(value, 10L), digit);
      }
      return negative ? value : Math.negateExact(value);
    } catch (ArithmeticException overflow) {
      throw new NumberFormatException("timestamp " + text(bytes, from, to) + " does not fit in 64 bits");
    }
  }

  private static NumberFormatException notAnInteger(byte[] bytes, int from, int to) {
    return new NumberFormatException("timestamp '" + text(bytes, from, to) + "' is not an integer");
  }

  private static String text(byte[] bytes, int from, int to) {
    return new String(bytes, from, to - from, StandardCharsets.UTF_8);
  }

  private static String unitGuess(long timestamp) {
    if (timestamp < 0) {
      return "negative";
    }
    if (timestamp < 100_000_000_000L) {
      return "looks like seconds";
    }
    if (timestamp < 100_000_000_000_000L) {
      return "looks like milliseconds";
    }
    return "looks like microseconds";
  }
}
