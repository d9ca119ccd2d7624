package dev.tally.connect.redis;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.schema.MinuteUsers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.sink.SinkRecord;

/** Test records: MinuteCounts as Tally writes them, and the sink records Connect makes of them. */
final class Minutes {

  static final String TOPIC = "minute-counts";
  static final long MINUTE = 60_000;

  private long nextOffset;

  /** The start of the minute {@code minutesAgo} before the current one. */
  static long minuteAgo(int minutesAgo) {
    long now = System.currentTimeMillis();
    return now - now % MINUTE - minutesAgo * MINUTE;
  }

  static MinuteCount count(String product, String eventType, long windowStart, long count,
      long users, boolean isFinal, long emittedAt) {
    return MinuteCount.newBuilder().setProduct(product).setEventType(eventType)
        .setWindowStart(Instant.ofEpochMilli(windowStart))
        .setWindowEnd(Instant.ofEpochMilli(windowStart + MINUTE))
        .setCount(count).setUniqueUsers(users).setIsFinal(isFinal)
        .setEmittedAt(Instant.ofEpochMilli(emittedAt)).build();
  }

  /** A live update emitted {@code secondsIn} seconds into the window. */
  static MinuteCount live(String product, String eventType, long windowStart, long count, long users,
      int secondsIn) {
    return count(product, eventType, windowStart, count, users, false, windowStart + secondsIn * 1000L);
  }

  /** The final value, emitted just after the window closed. */
  static MinuteCount fin(String product, String eventType, long windowStart, long count, long users) {
    return count(product, eventType, windowStart, count, users, true, windowStart + MINUTE + 10_500);
  }

  /** The users topic's record of one series' users in one window, from one aggregating partition. */
  static MinuteUsers users(String product, String eventType, long windowStart, int partition,
      List<Long> hashes) {
    return MinuteUsers.newBuilder().setProduct(product).setEventType(eventType)
        .setWindowStart(Instant.ofEpochMilli(windowStart))
        .setWindowEnd(Instant.ofEpochMilli(windowStart + MINUTE)).setPartition(partition)
        .setUserHashes(hashes).build();
  }

  /** Sink records of users-topic values, at the next offsets of partition 0. */
  List<SinkRecord> usersRecords(List<MinuteUsers> values) {
    List<SinkRecord> records = new ArrayList<>();
    for (MinuteUsers value : values) {
      MinuteKey key = new MinuteKey(value.getProduct(), value.getEventType(), value.getWindowStart());
      records.add(record(bytes(key), bytes(value)));
    }
    return records;
  }

  /** Sink records of {@code counts}, at the next offsets of partition 0. */
  List<SinkRecord> records(MinuteCount... counts) {
    List<SinkRecord> records = new ArrayList<>();
    for (MinuteCount count : counts) {
      records.add(record(bytes(key(count)), bytes(count)));
    }
    return records;
  }

  /** One sink record with these bytes as its value (whatever they are). */
  SinkRecord record(byte[] key, Object value) {
    return new SinkRecord(TOPIC, 0, Schema.OPTIONAL_BYTES_SCHEMA, key, Schema.OPTIONAL_BYTES_SCHEMA,
        value, nextOffset++);
  }

  static MinuteKey key(MinuteCount count) {
    return new MinuteKey(count.getProduct(), count.getEventType(), count.getWindowStart());
  }

  static byte[] bytes(MinuteCount count) {
    try {
      return array(count.toByteBuffer());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] bytes(MinuteUsers users) {
    try {
      return array(users.toByteBuffer());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] bytes(MinuteKey key) {
    try {
      return array(key.toByteBuffer());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] array(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }
}
