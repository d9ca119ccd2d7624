package dev.tally.topology.window;

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
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * The aggregating stage's state, per {@code window | series}: the event count and the set of distinct
 * users of one by-user partition, in memory, with a changelog of one record per changed
 * {@code window | series} per commit instead of one per new user.
 *
 * <p>Changelog record: key {@code window | series | batch} (batch: a 4-byte sequence number per
 * {@code window | series}), value {@code events since the previous batch (8 bytes) | users new since
 * the previous batch (4-byte length, UTF-8)*}. Restoring adds the batches up. Closing a window writes
 * one tombstone per batch of its series, so the compacted changelog only holds open windows.
 *
 * <p>Why this is exactly once: the pending batches are written in {@link #flushCache()}, which Kafka
 * Streams calls for every {@link CachedStateStore} in {@code StreamTask#prepareCommit}, before the
 * record collector is flushed and the input offsets go into the same transaction (the hook its own
 * caching stores use; {@link StateStore#commit} runs only after the transaction has committed, too late).
 * When a transaction aborts, Kafka Streams closes the task dirty ({@link #close()} drops everything,
 * pending batches included) and rebuilds the store from the committed changelog, as it does for its own
 * in-memory stores; standby replicas restore from the same records.
 */
public final class AggregateStore extends OwnStore<Bytes, byte[]> {

  /** Keeps each changelog record well below the producer's and broker's 1 MiB default limits. */
  static final int MAX_BATCH_BYTES = 64 * 1024;
  private static final int BATCH_BYTES = Integer.BYTES;
  private static final int EVENTS_BYTES = Long.BYTES;

  /** In key order, for closing windows; {@link #index} finds one faster. */
  private final NavigableMap<Bytes, Tally> tallies = new TreeMap<>();
  private final Map<Bytes, Tally> index = new HashMap<>();
  /** Tallies changed since the last flush; those still marked dirty (not closed since) are written. */
  private final List<Tally> dirty = new ArrayList<>();
  private ChangelogSink changelog;

  AggregateStore(String name) {
    super(name);
  }

  /** A builder for the topology; the store is always logged and never cached by Kafka Streams. */
  public static StoreBuilder<AggregateStore> builder(String name) {
    return new OwnStoreBuilder<>(name, true, AggregateStore::new);
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
    /** In the store's list of tallies to flush: set membership without a hash lookup per event. */
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

    public Bytes windowSeries() {
      return windowSeries;
    }
  }

  /** Where changelog records go; Kafka Streams' record collector, or a test's list. */
  interface ChangelogSink {
    void send(Bytes key, byte[] value);
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    InternalProcessorContext<?, ?> internal = opened(context);
    changelog = (key, value) -> internal.logChange(name(), key, value,
        internal.currentSystemTimeMs(), new RecordHeaders(), getPosition());
    context.register(root, this::restore);
  }

  /** For tests: the store without Kafka Streams, writing its changelog to {@code sink}. */
  void open(ChangelogSink sink) {
    changelog = sink;
    opened();
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
    Tally tally = index.get(windowSeries);
    if (tally == null) {
      tally = new Tally(windowSeries);
      tallies.put(windowSeries, tally);
      index.put(windowSeries, tally);
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
    return index.get(windowSeries);
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
      index.remove(tally.windowSeries);
      for (int batch = 0; batch < tally.batches; batch++) {
        changelog.send(batchKey(tally.windowSeries, batch), null);
      }
      it.remove();
    }
  }

  /** Writes one batch record per changed tally (more when its new users exceed a record's size). */
  @Override
  public void flushCache() {
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
        changelog.send(batchKey(tally.windowSeries, tally.batches++), value);
        events = 0;
      } while (next < end);
      tally.pendingCount = 0;
      tally.pendingFrom = end;
      tally.dirty = false;
    }
    dirty.clear();
  }

  /** One changelog record; a tombstone forgets the whole tally, as closing deletes all its batches. */
  void restore(byte[] key, byte[] value) {
    Bytes windowSeries = Bytes.wrap(Arrays.copyOf(key, key.length - BATCH_BYTES));
    if (value == null) {
      tallies.remove(windowSeries);
      index.remove(windowSeries);
      return;
    }
    Tally tally = index.get(windowSeries);
    if (tally == null) {
      tally = new Tally(windowSeries);
      tallies.put(windowSeries, tally);
      index.put(windowSeries, tally);
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

  /** Drops everything, pending batches too: after a dirty close, state comes back from the changelog. */
  @Override
  public void close() {
    tallies.clear();
    index.clear();
    dirty.clear();
    closed();
  }
}
