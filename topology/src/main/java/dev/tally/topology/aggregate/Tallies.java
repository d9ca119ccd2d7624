package dev.tally.topology.aggregate;

import dev.tally.topology.wire.StoreKeys;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;

/**
 * The aggregating stage's state, per {@code window | series}: the event count and the set of distinct
 * users of one by-user partition, in memory, with a changelog of one record per changed
 * {@code window | series} per commit instead of one per new user.
 *
 * <p>Changelog record: key {@code window | series | batch} (batch: a 4-byte sequence number per
 * {@code window | series}), value {@code events since the previous batch (8 bytes) | users new since
 * the previous batch (4-byte length, UTF-8)*}. {@link #load} adds the batches up. Closing a window
 * deletes every batch of its series, so the compacted changelog only holds open windows.
 *
 * <p>The batches go through {@link Changelog} into a logged, uncached Kafka Streams key-value store,
 * which writes them to its changelog topic and restores them: {@link #flush} runs inside the commit
 * ({@link dev.tally.topology.compat.CommitHook}), so they are in the transaction that commits the
 * offsets of the events they count. When a transaction aborts, Kafka Streams closes the task dirty
 * and rebuilds the store from the committed changelog; the processor then loads new tallies from it.
 */
public final class Tallies {

  /** The users topic's hash of a username: XXH3-64, seed 0, of its UTF-8 bytes (a public interface). */
  private static final com.dynatrace.hash4j.hashing.Hasher64 USER_HASH =
      com.dynatrace.hash4j.hashing.Hashing.xxh3_64();

  /** Keeps each changelog record well below the producer's and broker's 1 MiB default limits. */
  static final int MAX_BATCH_BYTES = 64 * 1024;
  private static final int BATCH_BYTES = Integer.BYTES;
  private static final int EVENTS_BYTES = Long.BYTES;

  /** In key order, for closing windows; {@link #windows} finds one faster. */
  private final NavigableMap<Bytes, Tally> tallies = new TreeMap<>();
  /** The tallies of each open window by series, found from an event's bytes without a key object. */
  private final Map<Long, SeriesIndex> windows = new HashMap<>();
  /** The window of the latest event and its index: a backlog's events come in time order. */
  private long lastWindow;
  private SeriesIndex lastIndex;
  /** Tallies changed since the last flush; those still marked dirty (not closed since) are written. */
  private final List<Tally> dirty = new ArrayList<>();
  private final Changelog changelog;

  /** @param changelog where the batches go: a logged store's {@code put}, or a test's list */
  public Tallies(Changelog changelog) {
    this.changelog = changelog;
  }

  /** The count and users of one {@code window | series}. */
  public static final class Tally {
    private final Bytes windowSeries;
    private final UserSet users = new UserSet();
    private long count;
    private long pendingCount;
    /** Where in {@link #users}' arena the users not yet in the changelog start. */
    private int pendingFrom;
    /** Batches of this tally in the changelog: the next batch's number. */
    private int batches;
    /** In the list of tallies to flush: set membership without a hash lookup per event. */
    private boolean dirty;
    /** Waiting in the aggregating stage's list of live updates to send. */
    boolean liveQueued;

    private Tally(Bytes windowSeries) {
      this.windowSeries = windowSeries;
    }

    public long count() {
      return count;
    }

    public long uniqueUsers() {
      return users.size();
    }

    /** XXH3-64 (seed 0) of each distinct username's UTF-8 bytes, in the order first seen. */
    public long[] userHashes() {
      long[] hashes = new long[users.size()];
      byte[] arena = users.arena();
      int at = 0;
      for (int i = 0; i < hashes.length; i++) {
        int length = UserSet.readLength(arena, at);
        hashes[i] = USER_HASH.hashBytesToLong(arena, at + UserSet.LENGTH_BYTES, length);
        at += UserSet.LENGTH_BYTES + length;
      }
      return hashes;
    }

    public Bytes windowSeries() {
      return windowSeries;
    }
  }

  /** Where changelog records go: a batch, or {@code null} to delete one. */
  @FunctionalInterface
  public interface Changelog {
    void put(Bytes key, byte[] value);
  }

  /**
   * Adds up the batches of a restored changelog, as {@code store.all()} returns them (in key order,
   * deleted ones gone).
   */
  public void load(Iterator<KeyValue<Bytes, byte[]>> batches) {
    while (batches.hasNext()) {
      KeyValue<Bytes, byte[]> batch = batches.next();
      restore(batch.key.get(), batch.value);
    }
  }

  /** Counts one event of {@code user} in {@code windowSeries}: {@link #add(Bytes, byte[], int, int)}. */
  public Tally add(Bytes windowSeries, String user) {
    byte[] utf8 = user.getBytes(StandardCharsets.UTF_8);
    return add(windowSeries, utf8, 0, utf8.length);
  }

  /**
   * Counts one event in {@code windowSeries} (a {@link StoreKeys#windowSeries} key) of the user whose
   * UTF-8 name is {@code length} bytes of {@code user} from {@code from} (copied if new).
   *
   * @return the tally, with this event counted
   */
  public Tally add(Bytes windowSeries, byte[] user, int from, int length) {
    byte[] key = windowSeries.get();
    return add(StoreKeys.windowOf(windowSeries), key, StoreKeys.WINDOW_BYTES,
        key.length - StoreKeys.WINDOW_BYTES, user, from, length);
  }

  /**
   * Counts one event in window {@code windowStart} of the series whose bytes (as {@link
   * StoreKeys#series} lays them out) are {@code seriesLength} bytes of {@code series} from {@code
   * seriesFrom}, and of the user whose UTF-8 name is {@code length} bytes of {@code user} from {@code
   * from}. Both are copied only when new: the aggregating stage passes them in place from a batch.
   *
   * @return the tally, with this event counted
   */
  public Tally add(long windowStart, byte[] series, int seriesFrom, int seriesLength, byte[] user,
      int from, int length) {
    SeriesIndex index = indexOf(windowStart, true);
    Tally tally = index.get(series, seriesFrom, seriesLength);
    if (tally == null) {
      Bytes windowSeries = StoreKeys.windowSeries(windowStart, series, seriesFrom, seriesLength);
      tally = new Tally(windowSeries);
      tallies.put(windowSeries, tally);
      index.put(tally);
    }
    tally.count++;
    tally.pendingCount++;
    tally.users.add(user, from, length);
    if (!tally.dirty) {
      tally.dirty = true;
      dirty.add(tally);
    }
    return tally;
  }

  /** The tally of {@code windowSeries}, or {@code null}. */
  public Tally get(Bytes windowSeries) {
    SeriesIndex index = indexOf(StoreKeys.windowOf(windowSeries), false);
    byte[] key = windowSeries.get();
    return index == null ? null
        : index.get(key, StoreKeys.WINDOW_BYTES, key.length - StoreKeys.WINDOW_BYTES);
  }

  /** The index of a window's tallies; {@code null} if it has none, unless {@code create}. */
  private SeriesIndex indexOf(long windowStart, boolean create) {
    if (lastIndex != null && lastWindow == windowStart) {
      return lastIndex;
    }
    SeriesIndex index = windows.get(windowStart);
    if (index == null) {
      if (!create) {
        return null;
      }
      index = new SeriesIndex();
      windows.put(windowStart, index);
    }
    lastWindow = windowStart;
    lastIndex = index;
    return index;
  }

  /** Forgets {@code tally}'s entry in its window's index (and the index, once empty). */
  private void unindex(Tally tally) {
    long window = StoreKeys.windowOf(tally.windowSeries);
    SeriesIndex index = indexOf(window, false);
    if (index != null && index.remove(tally) && index.size == 0) {
      windows.remove(window);
      lastIndex = null;
    }
  }

  /**
   * Hands every tally of the windows starting before {@code windowStart} to {@code closed}, in key
   * order, then forgets them and deletes their batches from the changelog.
   */
  public void closeBefore(long windowStart, BiConsumer<Bytes, Tally> closed) {
    Map<Bytes, Tally> done = tallies.headMap(StoreKeys.windowBound(windowStart), false);
    for (Iterator<Tally> it = done.values().iterator(); it.hasNext(); ) {
      Tally tally = it.next();
      closed.accept(tally.windowSeries, tally);
      // pending events were never written: forgetting them is their deletion
      tally.dirty = false;
      unindex(tally);
      for (int batch = 0; batch < tally.batches; batch++) {
        changelog.put(batchKey(tally.windowSeries, batch), null);
      }
      it.remove();
    }
  }

  /** Writes one batch record per changed tally (more when its new users exceed a record's size). */
  public void flush() {
    for (Tally tally : dirty) {
      if (!tally.dirty) {
        continue; // closed since it changed
      }
      byte[] arena = tally.users.arena();
      int next = tally.pendingFrom;
      int end = tally.users.end();
      long events = tally.pendingCount;
      do {
        // whole users, at least one, up to a record's size
        int from = next;
        while (next < end) {
          int entry = UserSet.LENGTH_BYTES + UserSet.readLength(arena, next);
          if (next > from && EVENTS_BYTES + next - from + entry > MAX_BATCH_BYTES) {
            break;
          }
          next += entry;
        }
        byte[] value = ByteBuffer.allocate(EVENTS_BYTES + next - from).putLong(events)
            .put(arena, from, next - from).array();
        changelog.put(batchKey(tally.windowSeries, tally.batches++), value);
        events = 0;
      } while (next < end);
      tally.pendingCount = 0;
      tally.pendingFrom = end;
      tally.dirty = false;
    }
    dirty.clear();
  }

  /** Adds one changelog batch. */
  void restore(byte[] key, byte[] value) {
    Bytes windowSeries = Bytes.wrap(Arrays.copyOf(key, key.length - BATCH_BYTES));
    Tally tally = get(windowSeries);
    if (tally == null) {
      tally = new Tally(windowSeries);
      tallies.put(windowSeries, tally);
      indexOf(StoreKeys.windowOf(windowSeries), true).put(tally);
    }
    tally.batches = Math.max(tally.batches,
        ByteBuffer.wrap(key, key.length - BATCH_BYTES, BATCH_BYTES).getInt() + 1);
    ByteBuffer buffer = ByteBuffer.wrap(value);
    tally.count += buffer.getLong();
    while (buffer.hasRemaining()) {
      int length = buffer.getInt();
      tally.users.add(value, buffer.position(), length);
      buffer.position(buffer.position() + length);
    }
    tally.pendingFrom = tally.users.end(); // restored users are in the changelog already
  }

  private static Bytes batchKey(Bytes windowSeries, int batch) {
    byte[] prefix = windowSeries.get();
    return Bytes.wrap(ByteBuffer.allocate(prefix.length + BATCH_BYTES).put(prefix).putInt(batch)
        .array());
  }

  /**
   * One window's tallies by series: open addressing over the series bytes of each tally's key, so
   * that an event's series is found from its bytes in place, with one hash over them and one
   * comparison, and no key object per event.
   */
  private static final class SeriesIndex {
    private static final int MAX_LOAD_SIXTEENTHS = 10;

    private Tally[] slots = new Tally[16];
    private int[] hashes = new int[16];
    private int size;

    Tally get(byte[] series, int from, int length) {
      int hash = StoreKeys.hash(series, from, length);
      int mask = slots.length - 1;
      for (int slot = hash & mask; slots[slot] != null; slot = (slot + 1) & mask) {
        if (hashes[slot] == hash && holds(slots[slot], series, from, length)) {
          return slots[slot];
        }
      }
      return null;
    }

    /** Adds a tally whose series is not in the index yet. */
    void put(Tally tally) {
      if ((size + 1) * 16 > slots.length * MAX_LOAD_SIXTEENTHS) {
        Tally[] old = slots;
        slots = new Tally[old.length * 2];
        hashes = new int[old.length * 2];
        for (Tally kept : old) {
          if (kept != null) {
            place(kept);
          }
        }
      }
      place(tally);
      size++;
    }

    /** Removes {@code tally} if it is here (backward-shift deletion, no tombstones). */
    boolean remove(Tally tally) {
      int mask = slots.length - 1;
      int slot = hashOf(tally) & mask;
      while (slots[slot] != tally) {
        if (slots[slot] == null) {
          return false;
        }
        slot = (slot + 1) & mask;
      }
      slots[slot] = null;
      size--;
      // move up every later entry of the run that its home slot no longer reaches past the hole
      for (int next = (slot + 1) & mask; slots[next] != null; next = (next + 1) & mask) {
        int home = hashes[next] & mask;
        boolean movable = slot <= next ? home <= slot || home > next : home <= slot && home > next;
        if (movable) {
          slots[slot] = slots[next];
          hashes[slot] = hashes[next];
          slots[next] = null;
          slot = next;
        }
      }
      return true;
    }

    private void place(Tally tally) {
      int hash = hashOf(tally);
      int mask = slots.length - 1;
      int slot = hash & mask;
      while (slots[slot] != null) {
        slot = (slot + 1) & mask;
      }
      slots[slot] = tally;
      hashes[slot] = hash;
    }

    private static int hashOf(Tally tally) {
      byte[] key = tally.windowSeries.get();
      return StoreKeys.hash(key, StoreKeys.WINDOW_BYTES, key.length - StoreKeys.WINDOW_BYTES);
    }

    private static boolean holds(Tally tally, byte[] series, int from, int length) {
      byte[] key = tally.windowSeries.get();
      return key.length - StoreKeys.WINDOW_BYTES == length && Arrays.equals(key,
          StoreKeys.WINDOW_BYTES, key.length, series, from, from + length);
    }
  }
}
