package dev.tally.decode;

/**
 * Why a record (or one line of it) went to the dead-letter topic. The {@link #code()} is what the
 * {@code tally.error.reason} header and the dead-letter metric's {@code reason} tag carry.
 */
public enum BadInputReason {
  /** Bytes that are none of the accepted formats, or a format's syntax broken (truncated Avro, bad JSON). */
  UNPARSEABLE("unparseable"),
  /** A required field (product, event_type, username, timestamp for Avro) missing or empty. */
  MISSING_FIELD("missing-field"),
  /** A timestamp too small to be nanoseconds since the epoch: seconds, milliseconds or microseconds. */
  TIMESTAMP_NOT_NANOS("timestamp-not-nanos"),
  /** An event older than its window's end plus the grace period, once that window has closed. */
  LATE("late");

  private final String code;

  BadInputReason(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
