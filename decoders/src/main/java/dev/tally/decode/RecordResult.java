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
 */
final class RecordResult {

  static final String EVENT_TYPE = "event_type";
  static final String PRODUCT = "product";
  static final String USERNAME = "username";

  private final byte[] record;
  private final InputFormat format;
  private final long recordTimestampMs;

  // Most records hold one event: keep it in a field and build no list for it.
  private UserEvent onlyEvent;
  private List<UserEvent> events;
  private List<Rejection> rejections;
  private int pieces;

  RecordResult(byte[] record, InputFormat format, long recordTimestampMs) {
    this.record = record;
    this.format = format;
    this.recordTimestampMs = recordTimestampMs;
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
    String missing = isEmpty(eventType) ? EVENT_TYPE
        : isEmpty(product) ? PRODUCT
        : isEmpty(username) ? USERNAME
        : null;
    if (missing != null) {
      reject(BadInputReason.MISSING_FIELD, "missing or empty " + describe(missing), from, to);
      return;
    }
    long timestamp = hasTimestamp ? timestampNs : TimestampRule.fromRecordMillis(recordTimestampMs);
    if (!TimestampRule.isNanos(timestamp)) {
      String message = hasTimestamp
          ? TimestampRule.notNanosMessage(timestamp)
          : TimestampRule.unusableRecordTimestampMessage(recordTimestampMs);
      reject(BadInputReason.TIMESTAMP_NOT_NANOS, message, from, to);
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

  void reject(BadInputReason reason, String message, int from, int to) {
    byte[] payload = from == 0 && to == record.length ? record : Arrays.copyOfRange(record, from, to);
    if (rejections == null) {
      rejections = new ArrayList<>(2);
    }
    rejections.add(new Rejection(reason, message, payload));
  }

  Decoded finish() {
    if (pieces == 0) {
      // Only blank or comment lines: say so rather than let the record vanish uncounted.
      startPiece();
      reject(BadInputReason.UNPARSEABLE, "record holds no events, only blank or comment lines", 0, record.length);
    }
    List<Rejection> rejected = rejections == null ? List.of() : rejections;
    if (pieces == 1 && rejected.size() == 1 && rejected.get(0).payload() != record) {
      Rejection only = rejected.get(0);
      rejected = List.of(new Rejection(only.reason(), only.message(), record));
    }
    List<UserEvent> decoded = events != null ? events : onlyEvent != null ? List.of(onlyEvent) : List.of();
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
