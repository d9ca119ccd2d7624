package dev.tally.topology.wire;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
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
 * the first record's offset and every timestamp as a difference from the previous one (the first's
 * from 0), in zig-zag varlongs (as Kafka's record format writes them), the key and value each as a zig-zag
 * varlong length (-1: null) and the bytes. Headers are not kept: the input stage reads none.
 */
public final class InputPack {

  /** A pack is closed once it holds this many bytes (or more, if one record alone is larger). */
  public static final int MAX_BYTES = 64 * 1024;

  private InputPack() {
  }

  /**
   * Packs {@code records} (consecutive records of one partition, in offset order) into as few packs
   * as {@link #MAX_BYTES} allows.
   */
  public static List<ConsumerRecord<byte[], byte[]>> pack(
      List<ConsumerRecord<byte[], byte[]>> records) {
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
    ByteBuffer out = ByteBuffer.allocate(maxBytes);
    long offset = 0;
    long timestamp = 0;
    long newest = ConsumerRecord.NO_TIMESTAMP;
    for (int i = from; i < to; i++) {
      ConsumerRecord<byte[], byte[]> record = records.get(i);
      writeVarlong(record.offset() - offset, out);
      writeVarlong(record.timestamp() - timestamp, out);
      writeBytes(out, record.key());
      writeBytes(out, record.value());
      offset = record.offset();
      timestamp = record.timestamp();
      newest = Math.max(newest, timestamp);
    }
    ConsumerRecord<byte[], byte[]> first = records.get(from);
    byte[] value = out.hasRemaining() ? Arrays.copyOf(out.array(), out.position()) : out.array();
    return new ConsumerRecord<>(first.topic(), first.partition(), first.offset(), newest,
        first.timestampType() == TimestampType.NO_TIMESTAMP_TYPE ? TimestampType.CREATE_TIME
            : first.timestampType(),
        ConsumerRecord.NULL_SIZE, value.length, null, value, new RecordHeaders(),
        first.leaderEpoch());
  }

  /** The most bytes one record takes in a pack: four varlongs and the bytes. */
  private static int maxEntrySize(ConsumerRecord<byte[], byte[]> record) {
    return 4 * MAX_VARLONG_BYTES + (record.key() == null ? 0 : record.key().length)
        + (record.value() == null ? 0 : record.value().length);
  }

  private static void writeBytes(ByteBuffer out, byte[] bytes) {
    if (bytes == null) {
      writeVarlong(-1, out);
    } else {
      writeVarlong(bytes.length, out);
      out.put(bytes);
    }
  }

  private static final int MAX_VARLONG_BYTES = 10;

  /** Writes {@code value} zig-zag encoded, seven bits a byte, least significant first. */
  static void writeVarlong(long value, ByteBuffer out) {
    long zigzag = (value << 1) ^ (value >> 63);
    while ((zigzag & ~0x7FL) != 0) {
      out.put((byte) ((zigzag & 0x7F) | 0x80));
      zigzag >>>= 7;
    }
    out.put((byte) zigzag);
  }

  /**
   * Reads what {@link #writeVarlong} wrote.
   *
   * @throws IllegalArgumentException if it runs over {@value #MAX_VARLONG_BYTES} bytes
   */
  static long readVarlong(ByteBuffer in) {
    long zigzag = 0;
    for (int shift = 0; shift < 7 * MAX_VARLONG_BYTES; shift += 7) {
      byte b = in.get();
      zigzag |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return (zigzag >>> 1) ^ -(zigzag & 1);
      }
    }
    throw new IllegalArgumentException("a varlong longer than " + MAX_VARLONG_BYTES + " bytes");
  }

  /**
   * Reads the records of a pack in order. One reader can be {@link #reset} to read one pack after
   * another; the key and the value are copied out of the pack only when asked for.
   */
  public static final class Reader {

    private ByteBuffer pack;
    private long offset;
    private long timestamp;
    private int keyAt;
    private int keyLength;
    private int valueAt;
    private int valueLength;

    /** Starts reading {@code pack}, a record value that {@link InputPack#pack} made. */
    public Reader reset(byte[] pack) {
      this.pack = ByteBuffer.wrap(pack);
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
      if (!pack.hasRemaining()) {
        return false;
      }
      try {
        offset += readVarlong(pack);
        timestamp += readVarlong(pack);
        keyLength = readLength();
        keyAt = skip(keyLength);
        valueLength = readLength();
        valueAt = skip(valueLength);
      } catch (BufferUnderflowException | IllegalArgumentException e) {
        String what = e.getMessage() == null ? "it ends inside a record" : e.getMessage();
        throw new IllegalArgumentException("corrupt input pack of " + pack.capacity()
            + " bytes, at byte " + pack.position() + ": " + what, e);
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
      return copy(keyAt, keyLength);
    }

    /** The record's value, copied, or null. */
    public byte[] value() {
      return copy(valueAt, valueLength);
    }

    private byte[] copy(int at, int length) {
      return length < 0 ? null : Arrays.copyOfRange(pack.array(), at, at + length);
    }

    private int readLength() {
      long length = readVarlong(pack);
      if (length < -1 || length > pack.remaining()) {
        throw new IllegalArgumentException("a length of " + length + " with " + pack.remaining()
            + " bytes left");
      }
      return (int) length;
    }

    /** Moves past {@code length} bytes (none for -1, a null) and returns where they start. */
    private int skip(int length) {
      int at = pack.position();
      pack.position(at + Math.max(0, length));
      return at;
    }
  }
}
