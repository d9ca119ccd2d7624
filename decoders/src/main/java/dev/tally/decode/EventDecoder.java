package dev.tally.decode;

import java.util.List;

/**
 * Turns one record value from the events topic into {@link UserEvent}s, whatever format the product
 * sent it in, and says why for every piece it cannot use.
 *
 * <p>The format is recognised from the first bytes: 0xC3 0x01 is Avro single-object encoding of
 * {@code dev.tally.schema.Event}; a first non-blank byte that opens a brace is JSON (one object or JSON lines);
 * anything else is InfluxDB line protocol, one event per line. Null, empty and all-blank values are
 * rejected as "empty record" and reported as {@link InputFormat#LINE_PROTOCOL}.
 *
 * <p>For every format, timestamps are nanoseconds since the epoch (smaller values are refused as
 * seconds, milliseconds or microseconds); an event without one takes its record's timestamp.
 *
 * <p>Instances hold scratch state and are not thread-safe: use one per stream task. They are cheap
 * to construct; the expensive parts (Avro decoder, Jackson factory) are shared.
 */
public final class EventDecoder {

  private static final byte[] NO_BYTES = new byte[0];

  private final AvroEvents avro = new AvroEvents();
  private final JsonEvents json = new JsonEvents();
  private final LineProtocolEvents lineProtocol = new LineProtocolEvents();
  private final EventBytes bytes = new EventBytes();

  public EventDecoder() {}

  /**
   * Decodes one record value; never throws for bad input.
   *
   * @param value the record value; null (a tombstone) and empty are rejected
   * @param recordTimestampMs the Kafka record timestamp, used for events that carry none
   */
  public Decoded decode(byte[] value, long recordTimestampMs) {
    return decode(value, recordTimestampMs, null);
  }

  /**
   * Decodes one record value as {@link #decode(byte[], long)} does, but hands every event to
   * {@code sink} as UTF-8 byte ranges instead of keeping it: the result holds the format and the
   * rejections, and no events. Avro events are handed over in place, without Avro's decoder or a
   * single String.
   */
  public Decoded decode(byte[] value, long recordTimestampMs, EventBytes.Sink sink) {
    int first = value == null ? 0 : firstNonBlank(value);
    if (value == null || first == value.length) {
      byte[] payload = value == null ? NO_BYTES : value;
      return new Decoded(InputFormat.LINE_PROTOCOL, List.of(),
          List.of(new Rejection(BadInputReason.UNPARSEABLE, "empty record", payload)));
    }
    InputFormat format = AvroEvents.isAvro(value) ? InputFormat.AVRO
        : value[first] == '{' ? InputFormat.JSON
        : InputFormat.LINE_PROTOCOL;
    RecordResult result = new RecordResult(value, format, recordTimestampMs,
        sink == null ? null : bytes);
    try {
      switch (format) {
        case AVRO -> avro.decode(value, result);
        case JSON -> json.decode(value, result);
        default -> lineProtocol.decode(value, result);
      }
    } catch (RuntimeException bug) {
      // A decoder bug must cost one record, not the stream thread; the message makes it findable.
      RecordResult failed = new RecordResult(value, format, recordTimestampMs);
      failed.startPiece();
      failed.reject(BadInputReason.UNPARSEABLE, "internal decoder error: " + bug, 0, value.length);
      return failed.finish();
    }
    Decoded decoded = result.finish();
    if (sink != null) {
      result.handOver(sink);
    }
    return decoded;
  }

  /**
   * Decodes a body of InfluxDB line protocol whose timestamps count {@code unitNanos} nanoseconds each
   * (InfluxDB's write precision: 1 for {@code ns}, 1 000 for {@code u}, ... 3 600 000 000 000 for
   * {@code h}), as an InfluxDB-compatible write endpoint receives it. Timestamps come out in
   * nanoseconds and obey the same rule as on the events topic; a line without one takes {@code
   * arrivalMs}. Never throws for bad input: each bad line is one rejection, its bytes the payload;
   * blank and comment lines are skipped, so an empty body yields nothing.
   */
  public Decoded decodeLines(byte[] body, long unitNanos, long arrivalMs) {
    if (unitNanos < 1) {
      throw new IllegalArgumentException("unitNanos must be positive: " + unitNanos);
    }
    RecordResult result = new RecordResult(body, InputFormat.LINE_PROTOCOL, arrivalMs);
    try {
      lineProtocol.decode(body, unitNanos, result);
    } catch (RuntimeException bug) {
      RecordResult failed = new RecordResult(body, InputFormat.LINE_PROTOCOL, arrivalMs);
      failed.startPiece();
      failed.reject(BadInputReason.UNPARSEABLE, "internal decoder error: " + bug, 0, body.length);
      return failed.finish();
    }
    return result.finish(false);
  }

  /** Single-object Avro bytes of one event (what the produce command writes). */
  public static byte[] encodeAvro(UserEvent event) {
    return AvroEvents.encode(event);
  }

  static boolean isJsonWhitespace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }

  private static int firstNonBlank(byte[] value) {
    int i = 0;
    while (i < value.length && isJsonWhitespace(value[i])) {
      i++;
    }
    return i;
  }
}
