package dev.tally.topology.merge;

import com.dynatrace.hash4j.distinctcount.UltraLogLog;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The distinct users of one series over an hour or a day, from the 64-bit hashes of its windows'
 * users: exact (the sorted distinct hashes) up to {@value #EXACT_LIMIT} users, then an UltraLogLog
 * sketch (hash4j, precision {@value #P}: 8 KiB, a relative standard error of about 0.8%, measured
 * 0.70% to 0.78% from 600 to 100,000 users). Adding the same hashes again changes nothing, so a
 * window's users may come in any order and more than once.
 *
 * <p>Stored as one tag byte, then either the hashes ({@code E}, 8 bytes each) or the sketch's state
 * ({@code U}).
 */
public final class RangeSketch {

  /** Up to this many distinct users the count is exact. */
  public static final int EXACT_LIMIT = 1_024;
  /** The UltraLogLog precision past the exact limit: 2^13 one-byte registers. */
  public static final int P = 13;
  private static final byte EXACT = 'E';
  private static final byte SKETCH = 'U';

  /** The sorted distinct hashes while exact, else null. */
  private long[] exact;
  private UltraLogLog sketch;

  private RangeSketch(long[] exact, UltraLogLog sketch) {
    this.exact = exact;
    this.sketch = sketch;
  }

  /** No users yet. */
  public static RangeSketch empty() {
    return new RangeSketch(new long[0], null);
  }

  /** The sketch that {@link #bytes()} wrote. */
  public static RangeSketch read(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    byte tag = buffer.get();
    if (tag == EXACT) {
      long[] hashes = new long[buffer.remaining() / Long.BYTES];
      buffer.asLongBuffer().get(hashes);
      return new RangeSketch(hashes, null);
    }
    if (tag == SKETCH) {
      return new RangeSketch(null, UltraLogLog.wrap(Arrays.copyOfRange(bytes, 1, bytes.length)));
    }
    throw new IllegalArgumentException("not a range sketch: tag " + tag);
  }

  /** Adds users' hashes (XXH3-64 of their names). */
  public RangeSketch add(long[] hashes) {
    if (sketch != null) {
      for (long hash : hashes) {
        sketch.add(hash);
      }
      return this;
    }
    // merge the sorted incoming hashes into the sorted distinct ones
    long[] incoming = hashes.clone();
    Arrays.sort(incoming);
    long[] all = new long[exact.length + incoming.length];
    int distinct = 0;
    int i = 0;
    int j = 0;
    while (i < exact.length || j < incoming.length) {
      long next = j == incoming.length || (i < exact.length && exact[i] <= incoming[j])
          ? exact[i++] : incoming[j++];
      if (distinct == 0 || all[distinct - 1] != next) {
        all[distinct++] = next;
      }
    }
    if (distinct <= EXACT_LIMIT) {
      exact = Arrays.copyOf(all, distinct);
    } else {
      sketch = UltraLogLog.create(P);
      for (int k = 0; k < distinct; k++) {
        sketch.add(all[k]);
      }
      exact = null;
    }
    return this;
  }

  /** How many distinct users: exact while {@link #isExact()}, else the sketch's estimate. */
  public long uniqueUsers() {
    return exact != null ? exact.length : Math.round(sketch.getDistinctCountEstimate());
  }

  /** Whether {@link #uniqueUsers()} is exact. */
  public boolean isExact() {
    return exact != null;
  }

  /** The stored form, for {@link #read}. */
  public byte[] bytes() {
    if (exact != null) {
      ByteBuffer buffer = ByteBuffer.allocate(1 + exact.length * Long.BYTES).put(EXACT);
      buffer.asLongBuffer().put(exact);
      return buffer.array();
    }
    byte[] state = sketch.getState();
    byte[] bytes = new byte[1 + state.length];
    bytes[0] = SKETCH;
    System.arraycopy(state, 0, bytes, 1, state.length);
    return bytes;
  }
}
