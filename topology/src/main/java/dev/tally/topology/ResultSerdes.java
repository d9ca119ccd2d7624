package dev.tally.topology;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.schema.MinuteUsers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Serdes of the results topic (key {@link MinuteKey}, value {@link MinuteCount}) and of the users topic
 * (key {@link MinuteKey}, value {@link MinuteUsers}), all in Avro's
 * single-object encoding (a 10-byte header with the schema fingerprint, then the binary record), so any
 * consumer with the schemas can read them without a schema registry.
 */
public final class ResultSerdes {

  private ResultSerdes() {
  }

  public static Serde<MinuteKey> minuteKey() {
    return Serdes.serdeFrom(
        (topic, key) -> key == null ? null : bytes(() -> key.toByteBuffer()),
        (topic, data) -> data == null ? null : read(() -> MinuteKey.fromByteBuffer(ByteBuffer.wrap(data))));
  }

  public static Serde<MinuteCount> minuteCount() {
    return Serdes.serdeFrom(
        (topic, value) -> value == null ? null : bytes(() -> value.toByteBuffer()),
        (topic, data) -> data == null ? null
            : read(() -> MinuteCount.fromByteBuffer(ByteBuffer.wrap(data))));
  }

  /** The users topic's values: each closed window's distinct users per aggregating partition. */
  public static Serde<MinuteUsers> minuteUsers() {
    return Serdes.serdeFrom(
        (topic, value) -> value == null ? null : bytes(() -> value.toByteBuffer()),
        (topic, data) -> data == null ? null
            : read(() -> MinuteUsers.fromByteBuffer(ByteBuffer.wrap(data))));
  }

  private interface IoSupplier<T> {
    T get() throws IOException;
  }

  private static byte[] bytes(IoSupplier<ByteBuffer> encode) {
    try {
      ByteBuffer buffer = encode.get();
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <T> T read(IoSupplier<T> decode) {
    try {
      return decode.get();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("not a single-object Avro result record: " + e.getMessage(), e);
    }
  }
}
