package dev.tally.topology.window;

import dev.tally.topology.internal.Watermark;
import java.util.Arrays;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The low watermark of one downstream partition: the minimum over every upstream partition's latest
 * watermark, so that a window closes only after the slowest upstream partition has passed it. This is
 * what keeps a backlog exact: fast partitions cannot make a slow partition's events late.
 *
 * <p>It stays unknown until every upstream partition has reported once. An {@link Watermark#isIdle()
 * idle watermark} (a partition idle and caught up since its task started, without a clock) moves that
 * partition's last event-time watermark on by the time it has been idle.
 *
 * <p>A partition that never had a watermark has no time of its own to promise. Its idle watermarks
 * say as of when it had nothing left to process ({@link Watermark#idleAsOfMs()}, its instance's wall
 * clock): it then holds the low watermark back only as far as the other partitions had got by then,
 * that is, at the latest watermarks this stage had received from them at that time. Records sent to it
 * later were sent after theirs, so they are not older than that (within the grace), unless the
 * producers themselves send out of order. This is Flink's idle source made safe for a burst: when
 * records arrive on every idle partition at once, say a backlog sent while Tally was quiet, the
 * partition whose task happens to process its records first cannot close windows that the others'
 * records belong to, since those partitions' last word said nothing of the time after their records
 * arrived. Windows wait for their next word instead (about a second: {@code InputWatcher} asks the
 * brokers every second). It assumes that the instances' wall clocks agree (NTP) to well within the
 * time a watermark takes to reach this stage (a transaction commit). A partition whose word never
 * comes (its instance cannot reach the brokers, or is gone) holds the windows back until it comes or
 * the partition gets a record.
 *
 * <p>The low watermark never goes back. State lives in a changelogged store (key: upstream
 * partition; {@code -2 - partition}: its last event-time watermark; {@link #LOW}: the low
 * watermark), so it survives fail-over exactly once. What the other partitions had reached when, and
 * the as-of times, live in memory: after a restart, a partition without data holds the windows back
 * until it speaks again.
 *
 * <p>It also knows whether every upstream partition's latest watermark said its sender had caught up
 * ({@link #caughtUp()}); that is not stored, since it only decides when to commit.
 */
public final class LowWatermark {

  /** Store key of the low watermark itself. */
  public static final int LOW = -1;
  private static final long UNKNOWN = Long.MIN_VALUE;
  /** An upstream partition that has only ever been idle: bounded by the others ({@link #bound}). */
  private static final long IDLE_ONLY = Long.MAX_VALUE;
  /** How long the upstream watermarks' past is kept for the as-of times of idle partitions. */
  static final long HISTORY_MS = 60_000;

  private final KeyValueStore<Integer, Long> store;
  private long[] upstream;
  private long[] lastEventTime;
  private boolean[] caughtUp;
  /** Per upstream partition without data: as of when it last said it had nothing to process. */
  private long[] idleAsOf;
  /** Per upstream partition: its watermarks (or {@link #IDLE_ONLY}) by when they came. */
  private History[] history;
  private long low = UNKNOWN;

  /**
   * @param store where the watermarks are kept
   * @param expectedSources how many upstream partitions there are at least (more are learnt from the
   *     watermarks themselves when a topic grows)
   * @param nowMs the wall clock: the stored watermarks count as come now
   */
  public LowWatermark(KeyValueStore<Integer, Long> store, int expectedSources, long nowMs) {
    this.store = store;
    this.upstream = new long[0];
    this.lastEventTime = new long[0];
    this.caughtUp = new boolean[0];
    this.idleAsOf = new long[0];
    this.history = new History[0];
    grow(expectedSources);
    try (KeyValueIterator<Integer, Long> all = store.all()) {
      while (all.hasNext()) {
        KeyValue<Integer, Long> entry = all.next();
        if (entry.key == LOW) {
          low = entry.value;
        } else if (entry.key >= 0) {
          grow(entry.key + 1);
          upstream[entry.key] = entry.value;
        } else {
          grow(-2 - entry.key + 1);
          lastEventTime[-2 - entry.key] = entry.value;
        }
      }
    }
    for (int source = 0; source < upstream.length; source++) {
      if (upstream[source] != UNKNOWN) {
        history[source].add(nowMs, upstream[source]);
      }
    }
  }

  /** Store key of upstream partition {@code source}'s last event-time watermark. */
  public static int lastEventTimeKey(int source) {
    return -2 - source;
  }

  /** True for the store keys of {@link #lastEventTimeKey last event-time watermarks}. */
  public static boolean isLastEventTimeKey(int key) {
    return key <= -2;
  }

  /** The current low watermark, or {@link Long#MIN_VALUE} while unknown. */
  public long current() {
    return low;
  }

  /**
   * Whether the latest watermark of every upstream partition said that its sender had caught up with
   * its input: then this stage has everything upstream was given, and a commit need not wait.
   */
  public boolean caughtUp() {
    for (boolean each : caughtUp) {
      if (!each) {
        return false;
      }
    }
    return true;
  }

  /**
   * Takes one upstream partition's watermark.
   *
   * @param nowMs the wall clock: when the watermark came
   * @return the low watermark before this update if it advanced, else {@code null}
   */
  public Long advance(Watermark watermark, long nowMs) {
    grow(Math.max(watermark.sources(), watermark.source() + 1));
    int source = watermark.source();
    caughtUp[source] = watermark.caughtUp();
    long previous = upstream[source];
    long next;
    if (watermark.isIdle()) {
      long base = lastEventTime[source];
      if (base == UNKNOWN) {
        // no time of its own: what moves on is as of when it had nothing to process
        next = IDLE_ONLY;
        if (watermark.idleAsOfMs() <= idleAsOf[source] && previous == IDLE_ONLY) {
          return null;
        }
        idleAsOf[source] = Math.max(idleAsOf[source], watermark.idleAsOfMs());
      } else {
        next = base + watermark.idleForMs();
        if (previous != UNKNOWN && previous != IDLE_ONLY && next <= previous) {
          return null;
        }
      }
    } else {
      next = watermark.timestampMs();
      if (next > lastEventTime[source]) {
        lastEventTime[source] = next;
        store.put(lastEventTimeKey(source), next);
      }
      if (previous != UNKNOWN && previous != IDLE_ONLY && next <= previous) {
        return null;
      }
    }
    if (next != previous) {
      upstream[source] = next;
      store.put(source, next);
      history[source].add(nowMs, next);
    }
    long candidate = minimum();
    if (candidate == UNKNOWN || (low != UNKNOWN && candidate <= low)) {
      return null;
    }
    long before = low;
    low = candidate;
    store.put(LOW, low);
    return before;
  }

  private long minimum() {
    long min = Long.MAX_VALUE;
    for (int source = 0; source < upstream.length; source++) {
      long value = upstream[source] == IDLE_ONLY ? bound(source) : upstream[source];
      if (value == UNKNOWN) {
        return UNKNOWN;
      }
      min = Math.min(min, value);
    }
    return min;
  }

  /**
   * How far a partition without data lets the low watermark go: the lowest of the other partitions'
   * watermarks as they stood here as of its last word, leaving out those without data then too.
   * Unknown when they were not all known then, or when none of them had data (nothing to close).
   */
  private long bound(int idleSource) {
    long asOf = idleAsOf[idleSource];
    long bound = IDLE_ONLY;
    for (int source = 0; source < upstream.length; source++) {
      if (source == idleSource) {
        continue;
      }
      long value = history[source].at(asOf);
      if (value == UNKNOWN) {
        return UNKNOWN;
      }
      bound = Math.min(bound, value);
    }
    return bound == IDLE_ONLY ? UNKNOWN : bound;
  }

  private void grow(int sources) {
    if (sources > upstream.length) {
      int old = upstream.length;
      upstream = Arrays.copyOf(upstream, sources);
      lastEventTime = Arrays.copyOf(lastEventTime, sources);
      caughtUp = Arrays.copyOf(caughtUp, sources);
      idleAsOf = Arrays.copyOf(idleAsOf, sources);
      history = Arrays.copyOf(history, sources);
      Arrays.fill(upstream, old, sources, UNKNOWN);
      Arrays.fill(lastEventTime, old, sources, UNKNOWN);
      Arrays.fill(idleAsOf, old, sources, Long.MIN_VALUE);
      for (int source = old; source < sources; source++) {
        history[source] = new History();
      }
    }
  }

  /**
   * One upstream partition's values by the wall-clock time they came, for {@link #HISTORY_MS} (and the
   * last one before that).
   */
  static final class History {
    private long[] times = new long[16];
    private long[] values = new long[16];
    private int size;

    void add(long timeMs, long value) {
      if (size > 0 && timeMs < times[size - 1]) {
        timeMs = times[size - 1]; // a wall clock set back: keep the order
      }
      int stale = 0;
      while (stale + 1 < size && times[stale + 1] <= timeMs - HISTORY_MS) {
        stale++;
      }
      if (stale > 0) {
        System.arraycopy(times, stale, times, 0, size - stale);
        System.arraycopy(values, stale, values, 0, size - stale);
        size -= stale;
      }
      if (size == times.length) {
        times = Arrays.copyOf(times, size * 2);
        values = Arrays.copyOf(values, size * 2);
      }
      times[size] = timeMs;
      values[size] = value;
      size++;
    }

    /** The value as it stood at {@code timeMs}, or unknown if none had come by then (or is kept). */
    long at(long timeMs) {
      int low = 0;
      int high = size - 1;
      int found = -1;
      while (low <= high) {
        int middle = (low + high) >>> 1;
        if (times[middle] <= timeMs) {
          found = middle;
          low = middle + 1;
        } else {
          high = middle - 1;
        }
      }
      return found < 0 ? UNKNOWN : values[found];
    }
  }
}
