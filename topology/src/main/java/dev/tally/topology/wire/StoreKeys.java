package dev.tally.topology.wire;

import dev.tally.decode.EventBytes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;

/**
 * Key layouts of the aggregation stores. Every key starts with the window start, big-endian, so that the
 * keys of all windows before a given start form one range: closing windows is one range scan.
 * Strings are length-prefixed, so any product or event type (colons, pipes, spaces, non-ASCII) is safe.
 */
public final class StoreKeys {

  public static final int WINDOW_BYTES = Long.BYTES;

  private StoreKeys() {
  }

  /** The series of a record, as it is keyed on the by-series shuffle. */
  public static byte[] series(String product, String eventType) {
    byte[] p = product.getBytes(StandardCharsets.UTF_8);
    byte[] e = eventType.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(Integer.BYTES * 2 + p.length + e.length)
        .putInt(p.length).put(p).putInt(e.length).put(e).array();
  }

  /** How many bytes {@link #writeSeries} writes for {@code event}. */
  public static int seriesLength(EventBytes event) {
    return Integer.BYTES * 2 + event.productLength() + event.eventTypeLength();
  }

  /**
   * Writes the series of {@code event} into {@code target} from {@code at}, exactly as {@link
   * #series(String, String)} lays it out: {@link #seriesLength} bytes.
   */
  public static void writeSeries(EventBytes event, byte[] target, int at) {
    at = putLength(target, at, event.productLength());
    System.arraycopy(event.array(), event.productAt(), target, at, event.productLength());
    at = putLength(target, at + event.productLength(), event.eventTypeLength());
    System.arraycopy(event.array(), event.eventTypeAt(), target, at, event.eventTypeLength());
  }

  private static int putLength(byte[] target, int at, int length) {
    target[at] = (byte) (length >>> 24);
    target[at + 1] = (byte) (length >>> 16);
    target[at + 2] = (byte) (length >>> 8);
    target[at + 3] = (byte) length;
    return at + Integer.BYTES;
  }

  /** {@code window | series}: the per-window count of a series. */
  public static Bytes windowSeries(long windowStart, byte[] series) {
    return windowSeries(windowStart, series, 0, series.length);
  }

  /** {@code window | series}, the series being {@code length} bytes of {@code array} from {@code from}. */
  public static Bytes windowSeries(long windowStart, byte[] array, int from, int length) {
    byte[] key = new byte[WINDOW_BYTES + length];
    for (int i = 0; i < WINDOW_BYTES; i++) {
      key[i] = (byte) (windowStart >>> (56 - 8 * i));
    }
    System.arraycopy(array, from, key, WINDOW_BYTES, length);
    return Bytes.wrap(key);
  }

  /** {@code window | series | source}: the partial of one upstream partition. */
  public static Bytes windowSeriesSource(long windowStart, byte[] series, int source) {
    return Bytes.wrap(ByteBuffer.allocate(WINDOW_BYTES + series.length + Integer.BYTES)
        .putLong(windowStart).put(series).putInt(source).array());
  }

  /**
   * The lower bound of every key of windows starting at or after {@code windowStart}; keys of earlier
   * windows sort below it.
   */
  public static Bytes windowBound(long windowStart) {
    return Bytes.wrap(ByteBuffer.allocate(WINDOW_BYTES).putLong(windowStart).array());
  }

  public static long windowOf(Bytes key) {
    return ByteBuffer.wrap(key.get()).getLong();
  }

  /** The series bytes of a {@code window | series} key. */
  public static byte[] seriesOf(Bytes windowSeriesKey) {
    byte[] key = windowSeriesKey.get();
    byte[] series = new byte[key.length - WINDOW_BYTES];
    System.arraycopy(key, WINDOW_BYTES, series, 0, series.length);
    return series;
  }

  /** Product and event type of series bytes. */
  public static String[] productAndEventType(byte[] series) {
    ByteBuffer buffer = ByteBuffer.wrap(series);
    int p = buffer.getInt();
    String product = new String(series, Integer.BYTES, p, StandardCharsets.UTF_8);
    buffer.position(Integer.BYTES + p);
    int e = buffer.getInt();
    String eventType = new String(series, Integer.BYTES * 2 + p, e, StandardCharsets.UTF_8);
    return new String[] {product, eventType};
  }

  /**
   * A well-mixed hash of {@code length} bytes of {@code bytes} from {@code from}, for the
   * open-addressing tables of the aggregation (linear probing takes its low bits); never 0, which
   * those tables may take for an empty slot.
   */
  public static int hash(byte[] bytes, int from, int length) {
    int h = 1;
    for (int i = from; i < from + length; i++) {
      h = 31 * h + bytes[i];
    }
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    return h == 0 ? 1 : h;
  }

  /** A two-long value: count and distinct users. */
  public static byte[] counts(long count, long unique) {
    return ByteBuffer.allocate(Long.BYTES * 2).putLong(count).putLong(unique).array();
  }

  public static long countOf(byte[] counts) {
    return ByteBuffer.wrap(counts).getLong(0);
  }

  public static long uniqueOf(byte[] counts) {
    return ByteBuffer.wrap(counts).getLong(Long.BYTES);
  }
}
