package dev.tally.topology.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

/**
 * Consecutive records of one events-topic partition, as fetched, carried through Kafka Streams as one
 * record. Kafka Streams' work per input record (its record queue, the partition group, per-record
 * sensors, the forward to the first processor) cost the input stage more than decoding and routing
 * the event did: with one record per event, a Kafka Streams job that only decoded the topic ran at
 * about 0.43x a plain consumer. A pack pays that work once for up to {@link #MAX_BYTES} of records.
 *
 * <p>The pack's offset is its first record's, so that Kafka Streams, which commits the offset of the
 * first record it has not processed yet, never commits past a record of a pack it has not processed;
 * its timestamp is the newest of its records'. Each record is {@code offset | timestamp | key | value}:
 * the first record's offset and every timestamp as a zig-zag varlong difference from the previous
 * one (the first's from 0), the key and value each as a zig-zag varint length (-1: null) and the
 * bytes. Headers are not kept: the input stage reads none.
 */
public final class InputPack {

  /** A pack is closed once it holds this many bytes (or more, if one record alone is larger). */
  public static final int MAX_BYTES = 64 * 1024;

  private InputPack() {
  }

  /** Packs {@code records} (consecutive records of one partition, in offset order) into as few packs as {@link #MAX_BYTES} allows. */
  public static List<ConsumerRecord<byte[], byte[]>> pack(List<ConsumerRecord<byte[], byte[]>> records) {
    List<ConsumerRecord<byte[], byte[]>> packs = new ArrayList<>(1);
    int from = 0;
    int bytes = 0;
    for (int i = 0; i < records.size(); i++) {
      int size = maxEntrySize(records.get(i));
      if (i > from && bytes + size > MAX_BYTES) {
        packs.add(pack(records, from, i, bytes));
        from = i;
        bytes = 0;
      }
      bytes += size;
    }
    if (from < records.size()) {
      packs.add(pack(records, from, records.size(), bytes));
    }
    return packs;
  }

  private static ConsumerRecord<byte[], byte[]> pack(List<ConsumerRecord<byte[], byte[]>> records,
      int from, int to, int maxBytes) {
    byte[] out = new byte[maxBytes];
    int at = 0;
    long offset = 0;
    long timestamp = 0;
    long newest = ConsumerRecord.NO_TIMESTAMP;
    for (int i = from; i < to; i++) {
      ConsumerRecord<byte[], byte[]> record = records.get(i);
      at = writeVarlong(out, at, zigzag(record.offset() - offset));
      at = writeVarlong(out, at, zigzag(record.timestamp() - timestamp));
      at = writeBytes(out, at, record.key());
      at = writeBytes(out, at, record.value());
      offset = record.offset();
      timestamp = record.timestamp();
      newest = Math.max(newest, timestamp);
    }
    ConsumerRecord<byte[], byte[]> first = records.get(from);
    byte[] value = at == out.length ? out : Arrays.copyOf(out, at);
    return new ConsumerRecord<>(first.topic(), first.partition(), first.offset(), newest,
        first.timestampType() == TimestampType.NO_TIMESTAMP_TYPE ? TimestampType.CREATE_TIME
            : first.timestampType(),
        ConsumerRecord.NULL_SIZE, value.length, null, value, new RecordHeaders(),
        first.leaderEpoch());
  }

  /** The most bytes one record takes in a pack: two varlongs, two varint lengths and the bytes. */
  private static int maxEntrySize(ConsumerRecord<byte[], byte[]> record) {
    return 10 + 10 + 5 + 5 + (record.key() == null ? 0 : record.key().length)
        + (record.value() == null ? 0 : record.value().length);
  }

  private static int writeBytes(byte[] out, int at, byte[] bytes) {
    if (bytes == null) {
      return writeVarlong(out, at, zigzag(-1));
    }
    at = writeVarlong(out, at, zigzag(bytes.length));
    System.arraycopy(bytes, 0, out, at, bytes.length);
    return at + bytes.length;
  }

  private static long zigzag(long value) {
    return (value << 1) ^ (value >> 63);
  }

  private static int writeVarlong(byte[] out, int at, long value) {
    while ((value & ~0x7FL) != 0) {
      out[at++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out[at++] = (byte) value;
    return at;
  }

  /**
   * Reads the records of a pack in order. One reader can be {@link #reset} to read one pack after
   * another; the key and the value are copied out of the pack only when asked for.
   */
  public static final class Reader {

    private byte[] pack;
    private int at;
    private long offset;
    private long timestamp;
    private int keyAt;
    private int keyLength;
    private int valueAt;
    private int valueLength;

    /** Starts reading {@code pack}, a record value that {@link InputPack#pack} made. */
    public Reader reset(byte[] pack) {
      this.pack = pack;
      this.at = 0;
      this.offset = 0;
      this.timestamp = 0;
      return this;
    }

    /**
     * Moves to the next record.
     *
     * @return false after the last one
     * @throws IllegalArgumentException if the pack is corrupt
     */
    public boolean next() {
      if (at == pack.length) {
        return false;
      }
      offset += unzigzag(readVarlong());
      timestamp += unzigzag(readVarlong());
      keyLength = readLength();
      keyAt = at;
      at += Math.max(0, keyLength);
      valueLength = readLength();
      valueAt = at;
      at += Math.max(0, valueLength);
      if (at > pack.length) {
        throw corrupt("a record runs past the end");
      }
      return true;
    }

    public long offset() {
      return offset;
    }

    public long timestamp() {
      return timestamp;
    }

    /** The record's key, copied, or null. */
    public byte[] key() {
      return keyLength < 0 ? null : Arrays.copyOfRange(pack, keyAt, keyAt + keyLength);
    }

    /** The record's value, copied, or null. */
    public byte[] value() {
      return valueLength < 0 ? null : Arrays.copyOfRange(pack, valueAt, valueAt + valueLength);
    }

    private int readLength() {
      long length = unzigzag(readVarlong());
      if (length < -1 || length > pack.length - at) {
        throw corrupt("a length of " + length + " at byte " + at);
      }
      return (int) length;
    }

    private long readVarlong() {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (at == pack.length) {
          throw corrupt("a number runs past the end");
        }
        byte b = pack[at++];
        value |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return value;
        }
      }
      throw corrupt("a number longer than 10 bytes at byte " + at);
    }

    private IllegalArgumentException corrupt(String what) {
      return new IllegalArgumentException("corrupt input pack of " + pack.length + " bytes: " + what);
    }

    private static long unzigzag(long value) {
      return (value >>> 1) ^ -(value & 1);
    }
  }
}
