package dev.tally.topology;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.schema.MinuteUsers;
import dev.tally.schema.RangeCount;
import dev.tally.schema.RangeKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Serdes of the results topic (key {@link MinuteKey}, value {@link MinuteCount}), the users topic
 * (key {@link MinuteKey}, value {@link MinuteUsers}) and the ranges topic (key {@link RangeKey},
 * value {@link RangeCount}), all in Avro's
 * single-object encoding (a 10-byte header with the schema fingerprint, then the binary record), so any
 * consumer with the schemas can read them without a schema registry.
 */
public final class ResultSerdes {

  private ResultSerdes() {
  }

  public static Serde<MinuteKey> minuteKey() {
    return singleObject(MinuteKey.getEncoder(), MinuteKey.getDecoder());
  }

  public static Serde<MinuteCount> minuteCount() {
    return singleObject(MinuteCount.getEncoder(), MinuteCount.getDecoder());
  }

  /** The users topic's values: each closed window's distinct users per aggregating partition. */
  public static Serde<MinuteUsers> minuteUsers() {
    return singleObject(MinuteUsers.getEncoder(), MinuteUsers.getDecoder());
  }

  /** The ranges topic's keys: a series and an hour or day. */
  public static Serde<RangeKey> rangeKey() {
    return singleObject(RangeKey.getEncoder(), RangeKey.getDecoder());
  }

  /** The ranges topic's values: a series' distinct users over an hour or day. */
  public static Serde<RangeCount> rangeCount() {
    return singleObject(RangeCount.getEncoder(), RangeCount.getDecoder());
  }

  private static <T> Serde<T> singleObject(BinaryMessageEncoder<T> encoder,
      BinaryMessageDecoder<T> decoder) {
    return Serdes.serdeFrom(
        (topic, value) -> value == null ? null : bytes(() -> encoder.encode(value)),
        (topic, data) -> data == null ? null : read(() -> decoder.decode(data)));
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
