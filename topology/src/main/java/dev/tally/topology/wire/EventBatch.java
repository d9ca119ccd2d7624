package dev.tally.topology.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decoded events of one input partition bound for one by-user partition, in one record of the by-user
 * shuffle. One record per event made the shuffle Tally's biggest cost: every record pays Kafka Streams'
 * per-record work twice (sending, then processing in the next stage), whatever its size. A batch pays it
 * once for up to {@link #MAX_BYTES} of events.
 *
 * <p>The events are kept in their wire layout and read in place by a {@link Cursor}; each event is
 * {@code timestampNs (8) | source offset (8) | series (4-byte length, bytes) | username (4-byte length,
 * UTF-8)}. The series bytes are opaque here (the aggregation's key layout).
 */
public final class EventBatch implements ByUser {

  /** A batch is sent once it holds this many bytes of events, well below Kafka's 1 MiB record limit. */
  public static final int MAX_BYTES = 64 * 1024;

  private final int source;
  private final int destination;
  private final int count;
  private final byte[] data;
  private final int from;
  private final int length;

  /**
   * @param source the input partition the events came from
   * @param destination the by-user partition they go to
   * @param count how many events
   * @param data the events' bytes, {@code length} of them from {@code from}
   */
  public EventBatch(int source, int destination, int count, byte[] data, int from, int length) {
    if (count < 0 || from < 0 || length < 0 || from + length > data.length) {
      throw new IllegalArgumentException("corrupt event batch: " + count + " events, " + length
          + " bytes from " + from + " of " + data.length);
    }
    this.source = source;
    this.destination = destination;
    this.count = count;
    this.data = data;
    this.from = from;
    this.length = length;
  }

  public int source() {
    return source;
  }

  public int destination() {
    return destination;
  }

  public int count() {
    return count;
  }

  /** The events' bytes, exactly. */
  public byte[] bytes() {
    return Arrays.copyOfRange(data, from, from + length);
  }

  int length() {
    return length;
  }

  void copyTo(byte[] target, int at) {
    System.arraycopy(data, from, target, at, length);
  }

  /** The newest event time in the batch, or {@link Long#MIN_VALUE} if it is empty. */
  public long maxTimestampMs() {
    long max = Long.MIN_VALUE;
    for (Cursor cursor = cursor(); cursor.next(); ) {
      max = Math.max(max, cursor.timestampMs());
    }
    return max;
  }

  /** Reads the events from the first; {@link Cursor#next()} moves to each in turn. */
  public Cursor cursor() {
    return new Cursor();
  }

  /** One event of the batch at a time, read in place. */
  public final class Cursor {
    private int next = from;
    private int read;
    private long timestampNs;
    private long offset;
    private int seriesAt;
    private int seriesLength;
    private int userAt;
    private int userLength;

    private Cursor() {
    }

    /** Moves to the next event; {@code false} when there is none. */
    public boolean next() {
      if (read == count) {
        if (next != from + length) {
          throw corrupt("bytes left after the last event");
        }
        return false;
      }
      timestampNs = readLong();
      offset = readLong();
      seriesLength = readLength();
      seriesAt = next;
      next += seriesLength;
      userLength = readLength();
      userAt = next;
      next += userLength;
      read++;
      return true;
    }

    public long timestampNs() {
      return timestampNs;
    }

    public long timestampMs() {
      return Math.floorDiv(timestampNs, 1_000_000L);
    }

    /** The event's offset in its input partition. */
    public long offset() {
      return offset;
    }

    /**
     * The array holding the series and username bytes, at {@link #seriesOffset()} and
     * {@link #usernameOffset()}.
     */
    public byte[] array() {
      return data;
    }

    public int seriesOffset() {
      return seriesAt;
    }

    public int seriesLength() {
      return seriesLength;
    }

    public byte[] series() {
      return Arrays.copyOfRange(data, seriesAt, seriesAt + seriesLength);
    }

    /** Where the username's UTF-8 bytes start in {@link #array()}. */
    public int usernameOffset() {
      return userAt;
    }

    public int usernameLength() {
      return userLength;
    }

    public String username() {
      return new String(data, userAt, userLength, StandardCharsets.UTF_8);
    }

    public byte[] usernameBytes() {
      return Arrays.copyOfRange(data, userAt, userAt + userLength);
    }

    private long readLong() {
      check(Long.BYTES);
      long value = 0;
      for (int i = 0; i < Long.BYTES; i++) {
        value = (value << 8) | (data[next++] & 0xFF);
      }
      return value;
    }

    private int readLength() {
      check(Integer.BYTES);
      int value = ((data[next] & 0xFF) << 24) | ((data[next + 1] & 0xFF) << 16)
          | ((data[next + 2] & 0xFF) << 8) | (data[next + 3] & 0xFF);
      next += Integer.BYTES;
      if (value < 0 || value > from + length - next) {
        throw corrupt("a field of " + value + " bytes");
      }
      return value;
    }

    private void check(int bytes) {
      if (from + length - next < bytes) {
        throw corrupt("event " + read + " cut short");
      }
    }

    private IllegalArgumentException corrupt(String what) {
      return new IllegalArgumentException("corrupt event batch from input partition " + source + ": "
          + what);
    }
  }

  /** Collects events for one by-user partition until {@link #build}; reused batch after batch. */
  public static final class Builder {
    private final int destination;
    private byte[] buffer = new byte[4096];
    private int size;
    private int count;

    public Builder(int destination) {
      this.destination = destination;
    }

    public void add(long timestampNs, long offset, byte[] series, byte[] username) {
      add(timestampNs, offset, series, 0, series.length, username, 0, username.length);
    }

    /**
     * Adds the event whose series is {@code seriesLength} bytes of {@code series} from {@code
     * seriesFrom}, and whose username is {@code usernameLength} bytes of {@code username} from {@code
     * usernameFrom}.
     */
    public void add(long timestampNs, long offset, byte[] series, int seriesFrom, int seriesLength,
        byte[] username, int usernameFrom, int usernameLength) {
      ensure(Long.BYTES * 2 + Integer.BYTES * 2 + seriesLength + usernameLength);
      putLong(timestampNs);
      putLong(offset);
      putBytes(series, seriesFrom, seriesLength);
      putBytes(username, usernameFrom, usernameLength);
      count++;
    }

    public boolean isEmpty() {
      return count == 0;
    }

    /** Bytes of events collected so far. */
    public int size() {
      return size;
    }

    /** The collected events as a batch; the builder is empty again. */
    public EventBatch build(int source) {
      EventBatch batch = new EventBatch(source, destination, count, Arrays.copyOf(buffer, size), 0,
          size);
      size = 0;
      count = 0;
      return batch;
    }

    private void ensure(int more) {
      if (size + more > buffer.length) {
        buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
      }
    }

    private void putLong(long value) {
      for (int shift = 56; shift >= 0; shift -= 8) {
        buffer[size++] = (byte) (value >>> shift);
      }
    }

    private void putBytes(byte[] bytes, int from, int length) {
      buffer[size++] = (byte) (length >>> 24);
      buffer[size++] = (byte) (length >>> 16);
      buffer[size++] = (byte) (length >>> 8);
      buffer[size++] = (byte) length;
      System.arraycopy(bytes, from, buffer, size, length);
      size += length;
    }
  }
}
