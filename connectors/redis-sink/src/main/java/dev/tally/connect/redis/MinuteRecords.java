package dev.tally.connect.redis;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteUsers;
import dev.tally.schema.SingleObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Reads a {@link MinuteCount} (results topic) or a {@link MinuteUsers} (users topic) out of a sink
 * record: the value as Tally wrote it (Avro single-object encoding), passed through Connect's
 * {@code ByteArrayConverter}.
 *
 * <p>The key ({@code MinuteKey}) is not needed: the value names its series and window.
 */
public final class MinuteRecords {

  private MinuteRecords() {
  }

  /** A record that is not a MinuteCount; {@link #getMessage()} says why. */
  public static final class BadRecordException extends Exception {
    private static final long serialVersionUID = 1L;

    BadRecordException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Decodes the record's value: a {@link MinuteUsers} (from the users topic) when its single-object
   * header names that schema, else a {@link MinuteCount}.
   *
   * @throws BadRecordException if it is null, not bytes, or neither
   */
  public static Object decodeAny(SinkRecord record) throws BadRecordException {
    Object value = record.value();
    if (value instanceof byte[] array && SingleObject.hasHeader(array, USERS_HEADER)) {
      try {
        MinuteUsers users = MinuteUsers.fromByteBuffer(ByteBuffer.wrap(array));
        if (users.getWindowEnd().toEpochMilli() <= users.getWindowStart().toEpochMilli()) {
          throw new BadRecordException("window_end " + users.getWindowEnd() + " is not after window_start "
              + users.getWindowStart(), null);
        }
        return users;
      } catch (IOException | RuntimeException e) {
        throw new BadRecordException("the value is not an Avro single-object MinuteUsers: " + e, e);
      }
    }
    return decode(record);
  }

  /** The single-object header of MinuteUsers. */
  private static final byte[] USERS_HEADER = SingleObject.header(MinuteUsers.getClassSchema());

  /**
   * Decodes the record's value.
   *
   * @throws BadRecordException if it is null, not bytes, or not a MinuteCount
   */
  public static MinuteCount decode(SinkRecord record) throws BadRecordException {
    Object value = record.value();
    ByteBuffer bytes;
    if (value instanceof byte[] array) {
      bytes = ByteBuffer.wrap(array);
    } else if (value instanceof ByteBuffer buffer) {
      bytes = buffer.duplicate();
    } else if (value == null) {
      throw new BadRecordException("the value is null; expected an Avro single-object MinuteCount",
          null);
    } else {
      throw new BadRecordException("the value is a " + value.getClass().getName()
          + "; expected bytes (value.converter=org.apache.kafka.connect.converters.ByteArrayConverter)",
          null);
    }
    try {
      MinuteCount count = MinuteCount.fromByteBuffer(bytes);
      if (count.getWindowEnd().toEpochMilli() <= count.getWindowStart().toEpochMilli()) {
        throw new BadRecordException("window_end " + count.getWindowEnd() + " is not after window_start "
            + count.getWindowStart(), null);
      }
      return count;
    } catch (IOException | RuntimeException e) {
      // a wrong header, an unknown schema fingerprint, truncated or garbled bytes
      throw new BadRecordException("the value is not an Avro single-object MinuteCount: " + e, e);
    }
  }
}
