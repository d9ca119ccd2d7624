package dev.tally.topology.aggregate;

import dev.tally.topology.wire.StoreKeys;
import java.util.Arrays;

/**
 * The distinct usernames of one tally, as UTF-8 bytes, without an object per name.
 *
 * <p>An append-only arena holds each name once, in the order first seen, as {@code length (4 bytes,
 * big-endian) | bytes}: the layout of the users in {@link Tallies}' changelog records, so the
 * names new since a flush are the arena's tail and are written as they are. An open-addressing table of
 * (hash, arena offset) finds a name with one probe of an int array and one comparison in the arena.
 * About 30 bytes per 11-byte name, where a {@code HashSet<String>} took about 100 (a map node, a
 * string and its array).
 */
final class UserSet {

  static final int LENGTH_BYTES = Integer.BYTES;
  /** The table is at most this full (in 1/16ths) before it doubles. */
  private static final int MAX_LOAD_SIXTEENTHS = 10;
  private static final int MAX_ARENA = Integer.MAX_VALUE - 16;

  private byte[] arena = new byte[64];
  private int end;
  /** 0 marks an empty slot; a name's hash is never 0. */
  private int[] hashes = new int[8];
  private int[] offsets = new int[8];
  private int size;

  /** Distinct names. */
  int size() {
    return size;
  }

  /** Bytes of the arena in use: names added from now on start here. */
  int end() {
    return end;
  }

  /** The arena; {@code [from, end())} holds whole entries, {@code length | bytes} each. */
  byte[] arena() {
    return arena;
  }

  /**
   * Adds the name in {@code length} bytes of {@code source} from {@code from}.
   *
   * @return whether it was new
   */
  boolean add(byte[] source, int from, int length) {
    int hash = StoreKeys.hash(source, from, length);
    int mask = hashes.length - 1;
    int slot = hash & mask;
    while (hashes[slot] != 0) {
      if (hashes[slot] == hash && holds(offsets[slot], source, from, length)) {
        return false;
      }
      slot = (slot + 1) & mask;
    }
    if ((size + 1) * 16 > hashes.length * MAX_LOAD_SIXTEENTHS) {
      grow();
      mask = hashes.length - 1;
      slot = hash & mask;
      while (hashes[slot] != 0) {
        slot = (slot + 1) & mask;
      }
    }
    hashes[slot] = hash;
    offsets[slot] = append(source, from, length);
    size++;
    return true;
  }

  private boolean holds(int offset, byte[] source, int from, int length) {
    return readLength(arena, offset) == length
        && Arrays.equals(arena, offset + LENGTH_BYTES, offset + LENGTH_BYTES + length, source, from,
            from + length);
  }

  private int append(byte[] source, int from, int length) {
    long needed = (long) end + LENGTH_BYTES + length;
    if (needed > arena.length) {
      if (needed > MAX_ARENA) {
        throw new IllegalStateException("more than 2 GiB of distinct usernames in one window and "
            + "series of one aggregation partition: raise tally.aggregation.partitions");
      }
      arena = Arrays.copyOf(arena, (int) Math.min(MAX_ARENA, Math.max(needed, 2L * arena.length)));
    }
    int at = end;
    arena[end++] = (byte) (length >>> 24);
    arena[end++] = (byte) (length >>> 16);
    arena[end++] = (byte) (length >>> 8);
    arena[end++] = (byte) length;
    System.arraycopy(source, from, arena, end, length);
    end += length;
    return at;
  }

  private void grow() {
    int[] oldHashes = hashes;
    int[] oldOffsets = offsets;
    hashes = new int[oldHashes.length * 2];
    offsets = new int[oldHashes.length * 2];
    int mask = hashes.length - 1;
    for (int i = 0; i < oldHashes.length; i++) {
      if (oldHashes[i] != 0) {
        int slot = oldHashes[i] & mask;
        while (hashes[slot] != 0) {
          slot = (slot + 1) & mask;
        }
        hashes[slot] = oldHashes[i];
        offsets[slot] = oldOffsets[i];
      }
    }
  }

  /** The big-endian length at {@code offset} of {@code bytes}. */
  static int readLength(byte[] bytes, int offset) {
    return ((bytes[offset] & 0xFF) << 24) | ((bytes[offset + 1] & 0xFF) << 16)
        | ((bytes[offset + 2] & 0xFF) << 8) | (bytes[offset + 3] & 0xFF);
  }
}
