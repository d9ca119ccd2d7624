package dev.tally.topology.internal;

import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serdes of the two internal shuffle topics. A compact binary layout, one tag byte first, since these
 * topics are private to one Tally application and every byte on them is written and read once per event.
 */
public final class InternalSerdes {

  private static final byte EVENT = 'E';
  private static final byte PARTIAL = 'P';
  private static final byte WATERMARK = 'W';
  private static final int WATERMARK_SIZE = 1 + Integer.BYTES * 2 + Long.BYTES * 2;

  private InternalSerdes() {
  }

  public static Serde<ByUser> byUser() {
    return Serdes.serdeFrom(byUserSerializer(), byUserDeserializer());
  }

  public static Serde<BySeries> bySeries() {
    return Serdes.serdeFrom(bySeriesSerializer(), bySeriesDeserializer());
  }

  private static Serializer<ByUser> byUserSerializer() {
    return (topic, value) -> {
      if (value == null) {
        return null;
      }
      if (value instanceof Watermark watermark) {
        return watermark(watermark);
      }
      SourcedEvent event = (SourcedEvent) value;
      byte[] product = Wire.utf8(event.product());
      byte[] eventType = Wire.utf8(event.eventType());
      byte[] username = Wire.utf8(event.username());
      ByteBuffer buffer = ByteBuffer.allocate(1 + Long.BYTES * 2 + Integer.BYTES + Wire.size(product)
          + Wire.size(eventType) + Wire.size(username));
      buffer.put(EVENT).putLong(event.timestampNs()).putInt(event.sourcePartition())
          .putLong(event.sourceOffset());
      Wire.put(buffer, product);
      Wire.put(buffer, eventType);
      Wire.put(buffer, username);
      return buffer.array();
    };
  }

  private static Deserializer<ByUser> byUserDeserializer() {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      ByteBuffer buffer = ByteBuffer.wrap(data);
      byte tag = buffer.get();
      if (tag == WATERMARK) {
        return readWatermark(buffer);
      }
      if (tag != EVENT) {
        throw new IllegalArgumentException("unknown by-user record tag " + tag + " on " + topic);
      }
      long timestampNs = buffer.getLong();
      int partition = buffer.getInt();
      long offset = buffer.getLong();
      return new SourcedEvent(Wire.getString(buffer), Wire.getString(buffer), Wire.getString(buffer),
          timestampNs, partition, offset);
    };
  }

  private static Serializer<BySeries> bySeriesSerializer() {
    return (topic, value) -> {
      if (value == null) {
        return null;
      }
      if (value instanceof Watermark watermark) {
        return watermark(watermark);
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
    };
  }

  private static Deserializer<BySeries> bySeriesDeserializer() {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      ByteBuffer buffer = ByteBuffer.wrap(data);
      byte tag = buffer.get();
      if (tag == WATERMARK) {
        return readWatermark(buffer);
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
    };
  }

  private static byte[] watermark(Watermark watermark) {
    return ByteBuffer.allocate(WATERMARK_SIZE).put(WATERMARK).putInt(watermark.source())
        .putInt(watermark.sources()).putLong(watermark.timestampMs()).putLong(watermark.idleForMs())
        .array();
  }

  private static Watermark readWatermark(ByteBuffer buffer) {
    return new Watermark(buffer.getInt(), buffer.getInt(), buffer.getLong(), buffer.getLong());
  }
}
