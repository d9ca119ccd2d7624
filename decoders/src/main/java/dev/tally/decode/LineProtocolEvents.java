package dev.tally.decode;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * InfluxDB line protocol as products send it, one event per line:
 *
 * <pre>
 * [measurement,]event_type=rails-5xx,product=live value=testusername1 [1478507534415525888]
 * </pre>
 *
 * <p>A line splits on unescaped spaces into the series, the field set and an optional timestamp.
 * In the series, elements holding an unescaped {@code =} are tags; a leading element without one is
 * a measurement name and is ignored (products omit it as often as not). Tags {@code event_type} and
 * {@code product} are required, the username is the field {@code value}, quoted or bare; other tags
 * and fields are ignored. A missing timestamp means the record's.
 *
 * <p>Escapes: in tag keys and values, field keys, the measurement and bare field values, a backslash
 * before {@code ,}, {@code =} or a space makes it literal; inside a quoted value, before {@code "} or
 * another backslash. A backslash before anything else is itself literal. Lines split on every
 * newline, even inside quotes, so one unbalanced quote cannot swallow the lines after it.
 *
 * <p>Instances keep per-line scratch state and are confined to one thread, like their EventDecoder.
 */
final class LineProtocolEvents {

  private static final byte[] EVENT_TYPE = RecordResult.EVENT_TYPE.getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PRODUCT = RecordResult.PRODUCT.getBytes(StandardCharsets.US_ASCII);
  private static final byte[] VALUE = "value".getBytes(StandardCharsets.US_ASCII);

  private byte[] scratch = new byte[64];
  /** Nanoseconds per unit of the lines' timestamps: 1 on the events topic, where they are nanoseconds. */
  private long unitNanos = 1;

  // The line being parsed.
  private String eventType;
  private String product;
  private String username;
  private boolean hasTimestamp;
  private long timestamp;
  /** What the last {@link #scanElement} found: its first unescaped '=' (-1: none), any escapes. */
  private int elementEquals;
  private boolean elementEscaped;

  /**
   * Decodes lines whose timestamps count {@code unitNanos} nanoseconds each (1 000 000 000 for
   * seconds, as InfluxDB's {@code precision=s} says), then back to nanoseconds for the next caller.
   */
  void decode(byte[] value, long unitNanos, RecordResult result) {
    this.unitNanos = unitNanos;
    try {
      decode(value, result);
    } finally {
      this.unitNanos = 1;
    }
  }

  void decode(byte[] value, RecordResult result) {
    int lineStart = 0;
    while (lineStart < value.length) {
      int lineEnd = lineStart;
      while (lineEnd < value.length && value[lineEnd] != '\n') {
        lineEnd++;
      }
      int end = lineEnd > lineStart && value[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
      decodeLine(value, lineStart, end, result);
      lineStart = lineEnd + 1;
    }
  }

  private void decodeLine(byte[] b, int lineStart, int end, RecordResult result) {
    int start = lineStart;
    while (start < end && (b[start] == ' ' || b[start] == '\t')) {
      start++;
    }
    if (start == end || b[start] == '#') {
      return;
    }
    result.startPiece();
    if (!Utf8Check.isValid(b, start, end)) {
      result.reject(BadInputReason.UNPARSEABLE, "line is not valid UTF-8", lineStart, end);
      return;
    }
    String syntaxError = parse(b, start, end);
    if (syntaxError != null) {
      result.reject(BadInputReason.UNPARSEABLE, syntaxError, lineStart, end);
      return;
    }
    result.add(eventType, product, username, hasTimestamp, timestamp, lineStart, end);
  }

  /** Parses {@code b[start, end)} into the line fields; returns the syntax error, or null. */
  private String parse(byte[] b, int start, int end) {
    eventType = null;
    product = null;
    username = null;
    hasTimestamp = false;
    timestamp = 0;

    int p = start;
    boolean leading = true;
    while (true) { // series elements, up to the first unescaped space
      int elementStart = p;
      p = scanElement(b, p, end);
      int equals = elementEquals;
      boolean escaped = elementEscaped;
      if (equals == elementStart) {
        return "empty tag key" + at(elementStart, start);
      }
      if (equals >= 0) {
        if (rawEquals(b, elementStart, equals, EVENT_TYPE)) {
          eventType = text(b, equals + 1, p, escaped, false);
        } else if (rawEquals(b, elementStart, equals, PRODUCT)) {
          product = text(b, equals + 1, p, escaped, false);
        }
      } else if (p == elementStart) {
        return (leading ? "line starts with a comma" : "empty tag") + at(elementStart, start);
      } else if (!leading) {
        return "tag without '='" + at(elementStart, start);
      }
      leading = false;
      if (p == end || b[p] == ' ') {
        break;
      }
      p++;
    }

    p = skipSpaces(b, p, end);
    if (p == end) {
      // Line protocol requires a field set; without one this is not line protocol at all (and
      // random bytes between two newlines should not pass for a line that only lacks tags).
      return "no field set (expected value=<username> after a space)";
    }
    while (true) { // fields, up to the next unescaped space outside quotes
      int keyStart = p;
      int equals = -1;
      for (; p < end; p++) {
        byte c = b[p];
        if (c == '\\' && p + 1 < end && isPlainEscape(b[p + 1])) {
          p++;
        } else if (c == '=') {
          equals = p;
          break;
        } else if (c == ',' || c == ' ') {
          break;
        }
      }
      if (equals < 0) {
        return "field without '='" + at(keyStart, start);
      }
      if (equals == keyStart) {
        return "empty field key" + at(keyStart, start);
      }
      boolean isUsername = rawEquals(b, keyStart, equals, VALUE);
      p = equals + 1;
      if (p < end && b[p] == '"') {
        int close = p + 1;
        boolean escaped = false;
        while (close < end && b[close] != '"') {
          if (b[close] == '\\' && close + 1 < end && (b[close + 1] == '"' || b[close + 1] == '\\')) {
            escaped = true;
            close += 2;
          } else {
            close++;
          }
        }
        if (close == end) {
          return "unterminated quoted field value" + at(p, start);
        }
        if (isUsername) {
          username = text(b, p + 1, close, escaped, true);
        }
        p = close + 1;
        if (p < end && b[p] != ',' && b[p] != ' ') {
          return "unexpected text after a quoted field value" + at(p, start);
        }
      } else {
        int valueStart = p;
        p = scanElement(b, p, end);
        if (isUsername) {
          username = text(b, valueStart, p, elementEscaped, false);
        }
      }
      if (p == end || b[p] == ' ') {
        break;
      }
      p++;
    }

    p = skipSpaces(b, p, end);
    if (p == end) {
      return null;
    }
    int timestampStart = p;
    while (p < end && b[p] != ' ') {
      p++;
    }
    int timestampEnd = p;
    if (skipSpaces(b, p, end) != end) {
      return "unexpected text after the timestamp" + at(skipSpaces(b, p, end), start);
    }
    try {
      timestamp = TimestampRule.parseDecimal(b, timestampStart, timestampEnd);
      hasTimestamp = true;
    } catch (NumberFormatException e) {
      return e.getMessage();
    }
    if (unitNanos != 1) {
      try {
        timestamp = Math.multiplyExact(timestamp, unitNanos);
      } catch (ArithmeticException overflow) {
        return "timestamp " + timestamp + " does not fit in 64 bits once in nanoseconds";
      }
    }
    return null;
  }

  /** Unescapes {@code b[from, to)} into a string, copying only when the text held an escape. */
  private String text(byte[] b, int from, int to, boolean escaped, boolean quoted) {
    if (!escaped) {
      return new String(b, from, to - from, StandardCharsets.UTF_8);
    }
    if (scratch.length < to - from) {
      scratch = new byte[Math.max(to - from, scratch.length * 2)];
    }
    int n = 0;
    for (int i = from; i < to; i++) {
      byte c = b[i];
      if (c == '\\' && i + 1 < to && (quoted ? b[i + 1] == '"' || b[i + 1] == '\\' : isPlainEscape(b[i + 1]))) {
        c = b[++i];
      }
      scratch[n++] = c;
    }
    return new String(scratch, 0, n, StandardCharsets.UTF_8);
  }

  /**
   * Scans an unquoted element (a tag, or a field value) from {@code p} to the first unescaped comma
   * or space, or the end; returns where it stopped. Leaves in {@link #elementEquals} the position
   * of its first unescaped '=' (-1: none) and in {@link #elementEscaped} whether it has escapes.
   */
  private int scanElement(byte[] b, int p, int end) {
    int equals = -1;
    boolean escaped = false;
    for (; p < end; p++) {
      byte c = b[p];
      if (c == '\\' && p + 1 < end && isPlainEscape(b[p + 1])) {
        escaped = true;
        p++;
      } else if (c == ',' || c == ' ') {
        break;
      } else if (c == '=' && equals < 0) {
        equals = p;
      }
    }
    elementEquals = equals;
    elementEscaped = escaped;
    return p;
  }

  private static boolean isPlainEscape(byte c) {
    return c == ',' || c == '=' || c == ' ';
  }

  /** Byte comparison, so a key with any escape in it can never match (no required key has one). */
  private static boolean rawEquals(byte[] b, int from, int to, byte[] expected) {
    return Arrays.equals(b, from, to, expected, 0, expected.length);
  }

  private static int skipSpaces(byte[] b, int p, int end) {
    while (p < end && b[p] == ' ') {
      p++;
    }
    return p;
  }

  private static String at(int position, int lineStart) {
    return " at byte " + (position - lineStart + 1) + " of the line";
  }
}
