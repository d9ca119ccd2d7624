package dev.tally.connect.influx;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Records of the results topic as {@code ByteArrayConverter} hands them to the task, and the
 * worked example's minute (window start 1478507520000 ms: 2016-11-07T08:32:00Z).
 */
final class Results {

  static final String TOPIC = "minute-counts";
  static final long WORKED_MINUTE_MS = 1478507520000L;
  static final long WORKED_MINUTE_NS = WORKED_MINUTE_MS * 1_000_000L;

  private Results() {
  }

  static MinuteCount result(String product, String eventType, long windowStartMs, long count,
      long uniqueUsers, boolean isFinal) {
    return new MinuteCount(product, eventType, Instant.ofEpochMilli(windowStartMs),
        Instant.ofEpochMilli(windowStartMs + 60_000), count, uniqueUsers, isFinal,
        Instant.ofEpochMilli(windowStartMs + 70_000));
  }

  static byte[] bytes(MinuteCount result) {
    try {
      return toArray(result.toByteBuffer());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] bytes(dev.tally.schema.RangeCount range) {
    try {
      return toArray(range.toByteBuffer());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] keyBytes(MinuteCount result) {
    try {
      return toArray(new MinuteKey(result.getProduct(), result.getEventType(),
          result.getWindowStart()).toByteBuffer());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] toArray(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  static SinkRecord record(long offset, MinuteCount result) {
    return new SinkRecord(TOPIC, 0, Schema.OPTIONAL_BYTES_SCHEMA, keyBytes(result),
        Schema.OPTIONAL_BYTES_SCHEMA, bytes(result), offset);
  }

  static SinkRecord rawRecord(long offset, byte[] value) {
    return new SinkRecord(TOPIC, 0, Schema.OPTIONAL_BYTES_SCHEMA, null,
        Schema.OPTIONAL_BYTES_SCHEMA, value, offset);
  }

  /** The worked example's three series, final, as Tally emits them after the minute closes. */
  static List<MinuteCount> workedExample() {
    return List.of(
        result("live", "rails-5xx", WORKED_MINUTE_MS, 2, 1, true),
        result("live", "stuck_in_queue", WORKED_MINUTE_MS, 1, 1, true),
        result("automate", "browser_error", WORKED_MINUTE_MS, 2, 2, true));
  }

  /** The worked example's results preceded by live updates of the same series, as on the topic. */
  static List<SinkRecord> workedExampleRecords() {
    List<SinkRecord> records = new ArrayList<>();
    long offset = 0;
    records.add(record(offset++, result("live", "rails-5xx", WORKED_MINUTE_MS, 1, 1, false)));
    records.add(record(offset++, result("automate", "browser_error", WORKED_MINUTE_MS, 1, 1, false)));
    for (MinuteCount result : workedExample()) {
      records.add(record(offset++, result));
    }
    return records;
  }
}
