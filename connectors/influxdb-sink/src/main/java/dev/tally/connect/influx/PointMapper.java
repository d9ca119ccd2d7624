package dev.tally.connect.influx;

import dev.tally.schema.InfluxLines;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.RangeCount;
import dev.tally.schema.SingleObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * A record of the results or ranges topic to the points it becomes: the two integer-valued lines of
 * {@link InfluxLines#withIntegerValues} for a final result, none for a live update (its window is
 * still open; the dashboards read only final values) or a tombstone, and the one line of
 * {@link InfluxLines#withIntegerValue} for an hour's or day's distinct users.
 *
 * <p>The value is a {@link MinuteCount} or a {@link RangeCount} in Avro single-object encoding (its
 * header says which), handed over as bytes by {@code ByteArrayConverter}.
 */
final class PointMapper {

  private static final byte[] RANGE_HEADER = SingleObject.header(RangeCount.getClassSchema());

  /**
   * The lines of one record, possibly none.
   *
   * @throws DataException if the value is neither a single-object encoded {@code MinuteCount} nor
   *     a {@code RangeCount}
   */
  List<String> lines(SinkRecord record) {
    Object value = record.value();
    if (value == null) {
      return List.of();
    }
    ByteBuffer bytes = bytes(record, value);
    if (SingleObject.hasHeader(bytes, RANGE_HEADER)) {
      try {
        return List.of(InfluxLines.withIntegerValue(RangeCount.fromByteBuffer(bytes)));
      } catch (IOException | RuntimeException e) {
        throw new DataException("Not a single-object encoded RangeCount at " + coordinates(record)
            + ": " + e.getMessage(), e);
      }
    }
    MinuteCount result = decode(record, bytes);
    return result.getIsFinal() ? InfluxLines.withIntegerValues(result) : List.of();
  }

  private static ByteBuffer bytes(SinkRecord record, Object value) {
    ByteBuffer bytes;
    if (value instanceof byte[] array) {
      bytes = ByteBuffer.wrap(array);
    } else if (value instanceof ByteBuffer buffer) {
      bytes = buffer.duplicate();
    } else {
      throw new DataException("Expected the bytes of a MinuteCount at " + coordinates(record)
          + ", got a " + value.getClass().getName()
          + "; set value.converter=org.apache.kafka.connect.converters.ByteArrayConverter");
    }
    return bytes;
  }

  private static MinuteCount decode(SinkRecord record, ByteBuffer bytes) {
    try {
      return MinuteCount.fromByteBuffer(bytes);
    } catch (IOException | RuntimeException e) {
      // garbage after a valid header surfaces as any of several runtime exceptions
      throw new DataException("Not a single-object encoded MinuteCount at " + coordinates(record)
          + ": " + e.getMessage(), e);
    }
  }

  static String coordinates(SinkRecord record) {
    return "topic=" + record.topic() + " partition=" + record.kafkaPartition() + " offset="
        + record.kafkaOffset();
  }
}
