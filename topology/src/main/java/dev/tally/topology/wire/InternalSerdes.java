package dev.tally.topology.wire;

import java.nio.ByteBuffer;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serdes of the two internal shuffle topics. A compact binary layout, one tag byte first, since these
 * topics are private to one Tally application and every byte on them is written and read once per event.
 */
public final class InternalSerdes {

  private static final byte EVENTS = 'B';
  private static final byte PARTIAL = 'P';
  private static final byte USERS = 'U';
  private static final byte WATERMARK = 'W';
  private static final int WATERMARK_SIZE = 1 + Integer.BYTES * 2 + Long.BYTES * 2 + 1 + Long.BYTES;
  private static final int BATCH_HEADER_SIZE = 1 + Integer.BYTES * 3;

  private InternalSerdes() {
  }

  public static Serde<ByUser> byUser() {
    return Serdes.serdeFrom(byUserSerializer(), byUserDeserializer());
  }

  public static Serde<BySeries> bySeries() {
    return Serdes.serdeFrom(bySeriesSerializer(), bySeriesDeserializer());
  }

  /** Reads a record of a shuffle from just after its tag byte. */
  private interface Reader<T> {
    T read(String topic, byte tag, ByteBuffer buffer, byte[] data);
  }

  /** A shuffle's serializer: null stays null, a watermark has its own layout, {@code other} writes the rest. */
  private static <T> Serializer<T> serializer(Function<T, byte[]> other) {
    return (topic, value) -> value == null ? null
        : value instanceof Watermark watermark ? watermark(watermark) : other.apply(value);
  }

  /** A shuffle's deserializer: null stays null, a watermark is read by its tag, {@code other} reads the rest. */
  private static <T> Deserializer<T> deserializer(Function<Watermark, T> watermarks, Reader<T> other) {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      ByteBuffer buffer = ByteBuffer.wrap(data);
      byte tag = buffer.get();
      return tag == WATERMARK ? watermarks.apply(readWatermark(buffer))
          : other.read(topic, tag, buffer, data);
    };
  }

  private static Serializer<ByUser> byUserSerializer() {
    return serializer(value -> {
      EventBatch batch = (EventBatch) value;
      byte[] data = new byte[BATCH_HEADER_SIZE + batch.length()];
      ByteBuffer.wrap(data).put(EVENTS).putInt(batch.source()).putInt(batch.destination())
          .putInt(batch.count());
      batch.copyTo(data, BATCH_HEADER_SIZE);
      return data;
    });
  }

  private static Deserializer<ByUser> byUserDeserializer() {
    return deserializer(watermark -> watermark, (topic, tag, buffer, data) -> {
      if (tag != EVENTS || data.length < BATCH_HEADER_SIZE) {
        throw new IllegalArgumentException("unknown by-user record tag " + tag + " on " + topic);
      }
      return new EventBatch(buffer.getInt(), buffer.getInt(), buffer.getInt(), data,
          BATCH_HEADER_SIZE, data.length - BATCH_HEADER_SIZE);
    });
  }

  private static Serializer<BySeries> bySeriesSerializer() {
    return serializer(value -> {
      if (value instanceof UserHashes users) {
        return users(users);
      }
      Partial partial = (Partial) value;
      byte[] product = Wire.utf8(partial.product());
      byte[] eventType = Wire.utf8(partial.eventType());
      ByteBuffer buffer = ByteBuffer.allocate(1 + Integer.BYTES + Long.BYTES * 3 + Wire.size(product)
          + Wire.size(eventType));
      buffer.put(PARTIAL).putInt(partial.source()).putLong(partial.windowStart())
          .putLong(partial.count()).putLong(partial.uniqueUsers());
      Wire.put(buffer, product);
      Wire.put(buffer, eventType);
      return buffer.array();
    });
  }

  private static Deserializer<BySeries> bySeriesDeserializer() {
    return deserializer(watermark -> watermark, (topic, tag, buffer, data) -> {
      if (tag == USERS) {
        return readUsers(buffer);
      }
      if (tag != PARTIAL) {
        throw new IllegalArgumentException("unknown by-series record tag " + tag + " on " + topic);
      }
      int source = buffer.getInt();
      long windowStart = buffer.getLong();
      long count = buffer.getLong();
      long unique = buffer.getLong();
      return new Partial(source, Wire.getString(buffer), Wire.getString(buffer), windowStart, count,
          unique);
    });
  }

  private static byte[] users(UserHashes users) {
    byte[] product = Wire.utf8(users.product());
    byte[] eventType = Wire.utf8(users.eventType());
    ByteBuffer buffer = ByteBuffer.allocate(1 + Integer.BYTES * 2 + Long.BYTES
        + Long.BYTES * users.hashes().length + Wire.size(product) + Wire.size(eventType));
    buffer.put(USERS).putInt(users.source()).putLong(users.windowStart());
    Wire.put(buffer, product);
    Wire.put(buffer, eventType);
    buffer.putInt(users.hashes().length);
    for (long hash : users.hashes()) {
      buffer.putLong(hash);
    }
    return buffer.array();
  }

  private static UserHashes readUsers(ByteBuffer buffer) {
    int source = buffer.getInt();
    long windowStart = buffer.getLong();
    String product = Wire.getString(buffer);
    String eventType = Wire.getString(buffer);
    int count = buffer.getInt();
    if (count < 0 || count > buffer.remaining() / Long.BYTES) {
      throw new IllegalArgumentException("corrupt internal record: " + count + " user hashes");
    }
    long[] hashes = new long[count];
    buffer.asLongBuffer().get(hashes);
    return new UserHashes(source, product, eventType, windowStart, hashes);
  }

  private static byte[] watermark(Watermark watermark) {
    return ByteBuffer.allocate(WATERMARK_SIZE).put(WATERMARK).putInt(watermark.source())
        .putInt(watermark.sources()).putLong(watermark.timestampMs()).putLong(watermark.quietForMs())
        .put(watermark.caughtUp() ? (byte) 1 : (byte) 0).putLong(watermark.drainedAsOfMs()).array();
  }

  private static Watermark readWatermark(ByteBuffer buffer) {
    // a watermark of an earlier version, without the caught-up byte, says nothing of its input; one
    // without the drained-as-of time says nothing of draining
    return new Watermark(buffer.getInt(), buffer.getInt(), buffer.getLong(), buffer.getLong(),
        buffer.hasRemaining() && buffer.get() == 1,
        buffer.remaining() >= Long.BYTES ? buffer.getLong() : Long.MIN_VALUE);
  }
}
