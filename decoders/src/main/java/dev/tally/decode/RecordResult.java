package dev.tally.decode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Collects what one record decodes to, and holds the checks every format shares: required fields
 * present and non-empty, timestamp in nanoseconds, the record timestamp standing in for a missing one.
 *
 * <p>The format decoders call {@link #startPiece()} for each would-be event (a line, a JSON object),
 * then either {@link #add} or {@link #reject} it. A record that held a single piece is rejected with
 * its whole bytes as payload, so the dead-letter topic gets exactly what was sent.
 *
 * <p>A result for a {@link EventBytes.Sink} leaves the events out of {@link #finish()}'s {@link
 * Decoded} and hands them over in {@link #handOver} instead (after decoding, so that nothing the sink
 * does passes for a decoder error); an Avro event is then kept as byte ranges of the record.
 */
final class RecordResult {

  static final String EVENT_TYPE = "event_type";
  static final String PRODUCT = "product";
  static final String USERNAME = "username";
  /** Not a timestamp {@link TimestampRule#isNanos} accepts. */
  private static final long NO_TIMESTAMP = Long.MIN_VALUE;

  private final byte[] record;
  private final InputFormat format;
  private final long recordTimestampMs;
  /** Where the events go in {@link #handOver}; null: they are for {@link #finish()}. */
  private final EventBytes bytes;

  // Most records hold one event: keep it in a field and build no list for it.
  private UserEvent onlyEvent;
  private List<UserEvent> events;
  private List<Rejection> rejections;
  private int pieces;
  /** The event is kept in {@link #bytes}, as byte ranges of the record. */
  private boolean inPlace;

  RecordResult(byte[] record, InputFormat format, long recordTimestampMs) {
    this(record, format, recordTimestampMs, null);
  }

  /**
   * @param bytes where the events go for {@link #handOver} (an Avro event as byte ranges of the
   *     record); null: they are for {@link #finish()}
   */
  RecordResult(byte[] record, InputFormat format, long recordTimestampMs, EventBytes bytes) {
    this.record = record;
    this.format = format;
    this.recordTimestampMs = recordTimestampMs;
    this.bytes = bytes;
  }

  void startPiece() {
    pieces++;
  }

  /**
   * Validates one piece's fields and keeps it as an event, or rejects it.
   *
   * @param hasTimestamp false when the input carried no timestamp; the record's then applies
   * @param from start of the piece in the record, for the rejection payload
   * @param to end (exclusive) of the piece in the record
   */
  void add(String eventType, String product, String username, boolean hasTimestamp, long timestampNs,
      int from, int to) {
    if (!fieldsPresent(isEmpty(eventType), isEmpty(product), isEmpty(username), from, to)) {
      return;
    }
    long timestamp = timestamp(hasTimestamp, timestampNs, from, to);
    if (timestamp == NO_TIMESTAMP) {
      return;
    }
    UserEvent event = new UserEvent(product, eventType, username, timestamp);
    if (events != null) {
      events.add(event);
    } else if (onlyEvent == null) {
      onlyEvent = event;
    } else {
      events = new ArrayList<>();
      events.add(onlyEvent);
      events.add(event);
      onlyEvent = null;
    }
  }

  /**
   * Validates one piece whose fields are UTF-8 ranges of the record, as {@link #add(String, String,
   * String, boolean, long, int, int)} does, and keeps it as those ranges for {@link #handOver}: no
   * Strings. Only for a sink, and at most once per record (an Avro record holds one event). The piece
   * carries its timestamp.
   */
  void add(int eventTypeAt, int eventTypeLength, int productAt, int productLength, int usernameAt,
      int usernameLength, long timestampNs, int from, int to) {
    if (!fieldsPresent(eventTypeLength == 0, productLength == 0, usernameLength == 0, from, to)) {
      return;
    }
    long timestamp = timestamp(true, timestampNs, from, to);
    if (timestamp == NO_TIMESTAMP) {
      return;
    }
    bytes.set(record, productAt, productLength, eventTypeAt, eventTypeLength, usernameAt,
        usernameLength, timestamp);
    inPlace = true;
  }

  /** Whether the events are for a sink, so that {@link #add(int, int, int, int, int, int, long, int, int)} may be used. */
  boolean forSink() {
    return bytes != null;
  }

  /** Hands the events to {@code sink}, in order; for a result made for a sink. */
  void handOver(EventBytes.Sink sink) {
    if (inPlace) {
      sink.accept(bytes);
    }
    if (onlyEvent != null) {
      bytes.set(onlyEvent);
      sink.accept(bytes);
    }
    if (events != null) {
      for (UserEvent event : events) {
        bytes.set(event);
        sink.accept(bytes);
      }
    }
  }

  /** Rejects the piece and says false when a required field is missing or empty. */
  private boolean fieldsPresent(boolean noEventType, boolean noProduct, boolean noUsername, int from,
      int to) {
    String missing = noEventType ? EVENT_TYPE : noProduct ? PRODUCT : noUsername ? USERNAME : null;
    if (missing != null) {
      reject(BadInputReason.MISSING_FIELD, "missing or empty " + describe(missing), from, to);
      return false;
    }
    return true;
  }

  /** The event's timestamp in nanoseconds, or {@link #NO_TIMESTAMP} after rejecting the piece. */
  private long timestamp(boolean hasTimestamp, long timestampNs, int from, int to) {
    long timestamp = hasTimestamp ? timestampNs : TimestampRule.fromRecordMillis(recordTimestampMs);
    if (!TimestampRule.isNanos(timestamp)) {
      String message = hasTimestamp
          ? TimestampRule.notNanosMessage(timestamp)
          : TimestampRule.unusableRecordTimestampMessage(recordTimestampMs);
      reject(BadInputReason.TIMESTAMP_NOT_NANOS, message, from, to);
      return NO_TIMESTAMP;
    }
    return timestamp;
  }

  void reject(BadInputReason reason, String message, int from, int to) {
    byte[] payload = from == 0 && to == record.length ? record : Arrays.copyOfRange(record, from, to);
    if (rejections == null) {
      rejections = new ArrayList<>(2);
    }
    rejections.add(new Rejection(reason, message, payload));
  }

  Decoded finish() {
    return finish(true);
  }

  /**
   * The result; with {@code blankIsRejected} false, a record of only blank and comment lines yields
   * nothing at all instead of one rejection (a write request may carry no points).
   */
  Decoded finish(boolean blankIsRejected) {
    if (pieces == 0 && blankIsRejected) {
      // Only blank or comment lines: say so rather than let the record vanish uncounted.
      startPiece();
      reject(BadInputReason.UNPARSEABLE, "record holds no events, only blank or comment lines", 0, record.length);
    }
    List<Rejection> rejected = rejections == null ? List.of() : rejections;
    if (pieces == 1 && rejected.size() == 1 && rejected.get(0).payload() != record) {
      Rejection only = rejected.get(0);
      rejected = List.of(new Rejection(only.reason(), only.message(), record));
    }
    List<UserEvent> decoded = bytes != null ? List.of()
        : events != null ? events : onlyEvent != null ? List.of(onlyEvent) : List.of();
    return new Decoded(format, decoded, rejected);
  }

  /** The field as the producer wrote it, so the message points at something in their payload. */
  private String describe(String field) {
    if (format != InputFormat.LINE_PROTOCOL) {
      return "field '" + field + "'";
    }
    return USERNAME.equals(field) ? "field 'value' (the username)" : "tag '" + field + "'";
  }

  private static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }
}
