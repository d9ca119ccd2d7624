package dev.tally.topology.time;

import dev.tally.topology.wire.Watermark;
import java.util.Arrays;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The low watermark of one downstream partition: the lowest of its upstream partitions' clocks, so
 * that a window closes only after the slowest upstream partition has passed it. This is what keeps a
 * backlog exact: fast partitions cannot make a slow partition's events late.
 *
 * <p>An upstream partition's clock is the highest event time it has processed. From the input stage
 * it also counts, with its {@link Watermark watermarks}:
 * <ol>
 *   <li>a partition <em>drained</em> as of wall-clock time T (it had processed everything the brokers
 *       held for it at T) is, from then on, at least as far as the highest event time any upstream
 *       partition had announced here by T: whatever reaches it later became visible after all of
 *       that, so it is not older (within the grace), unless the producers themselves send out of
 *       order;
 *   <li>when every upstream partition is <em>quiet</em> (drained, and without a record for the idle
 *       timeout), the clocks go on with the wall clock from the highest: the low watermark is the
 *       highest event time plus the shortest quiet time.
 * </ol>
 * The low watermark is the lowest clock over all upstream partitions, and stays unknown until each
 * of them has a clock (so a topic with no data anywhere closes nothing). A partition that has had no
 * record since its task started (a restart, a partition that never had data, a new one) counts by
 * these rules alone; a partition whose instance is gone keeps its last word, and so holds the windows
 * back until its new task speaks.
 *
 * <p>The as-of time T comes from the input partition's instance (when it asked the brokers), the time
 * a watermark came from this instance's wall clock: they must agree (NTP) to well within the time a
 * watermark takes to reach this stage, a transaction commit.
 *
 * <p>The low watermark never goes back. The highest event time per upstream partition and the low
 * watermark live in a changelogged store (key {@code -2 - partition}, and {@link #LOW}), so they
 * survive fail-over exactly once. What the partitions had reached when, and their latest word, live in
 * memory: after a restart, a drained partition counts from the next watermark that comes.
 *
 * <p>It also knows whether every upstream partition's latest watermark said its sender had caught up
 * ({@link #caughtUp()}); that only decides when to commit.
 */
public final class LowWatermark {

  /** Store key of the low watermark itself. */
  public static final int LOW = -1;
  private static final long UNKNOWN = Long.MIN_VALUE;
  /** How long the past of the highest event time is kept for the as-of times of drained partitions. */
  static final long HISTORY_MS = 60_000;

  private final KeyValueStore<Integer, Long> store;
  /** Per upstream partition: the highest event time it announced. */
  private long[] eventTime;
  /** Per upstream partition: the latest as-of time its watermarks said it was drained, or unknown. */
  private long[] drainedAsOf;
  /** Per upstream partition: how long its latest watermark said it had been quiet, or -1. */
  private long[] quietFor;
  private boolean[] caughtUp;
  /** The highest event time over all upstream partitions, by when it came. */
  private final History highest = new History();
  private long low = UNKNOWN;

  /**
   * @param store where the watermarks are kept
   * @param expectedSources how many upstream partitions there are at least (more are learnt from the
   *     watermarks themselves when a topic grows)
   * @param nowMs the wall clock: the stored event times count as come now
   */
  public LowWatermark(KeyValueStore<Integer, Long> store, int expectedSources, long nowMs) {
    this.store = store;
    this.eventTime = new long[0];
    this.drainedAsOf = new long[0];
    this.quietFor = new long[0];
    this.caughtUp = new boolean[0];
    grow(expectedSources);
    try (KeyValueIterator<Integer, Long> all = store.all()) {
      while (all.hasNext()) {
        KeyValue<Integer, Long> entry = all.next();
        if (entry.key == LOW) {
          low = entry.value;
        } else if (isLastEventTimeKey(entry.key)) {
          int source = -2 - entry.key;
          grow(source + 1);
          eventTime[source] = entry.value;
        }
        // keys >= 0 held an earlier build's per-partition clocks: the event times say more
      }
    }
    long max = max(eventTime);
    if (max != UNKNOWN) {
      highest.add(nowMs, max);
    }
  }

  /** Store key of upstream partition {@code source}'s highest event time. */
  public static int lastEventTimeKey(int source) {
    return -2 - source;
  }

  /** True for the store keys of {@link #lastEventTimeKey highest event times}. */
  public static boolean isLastEventTimeKey(int key) {
    return key <= -2;
  }

  /** The current low watermark, or {@link Long#MIN_VALUE} while unknown. */
  public long current() {
    return low;
  }

  /** How many upstream partitions it knows of. */
  public int sources() {
    return eventTime.length;
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
    // drained as of T holds for good: what came later became visible after T
    drainedAsOf[source] = Math.max(drainedAsOf[source], watermark.drainedAsOfMs());
    quietFor[source] = watermark.quietForMs();
    long time = watermark.timestampMs();
    if (time != UNKNOWN && time > eventTime[source]) {
      eventTime[source] = time;
      store.put(lastEventTimeKey(source), time);
      long before = highest.latest();
      if (before == UNKNOWN || time > before) {
        highest.add(nowMs, time);
      }
    }
    long candidate = candidate();
    if (candidate == UNKNOWN || (low != UNKNOWN && candidate <= low)) {
      return null;
    }
    long before = low;
    low = candidate;
    store.put(LOW, low);
    return before;
  }

  /** Upstream partition {@code source}'s clock by the rules above, or unknown. */
  public long clockOf(int source) {
    long clock = eventTime[source];
    if (drainedAsOf[source] != UNKNOWN) {
      clock = Math.max(clock, highest.at(drainedAsOf[source]));
    }
    return clock;
  }

  /**
   * The upstream partition whose clock alone holds the low watermark where it is (all the others'
   * are higher), or -1 when none does alone (or when all are quiet).
   */
  public int holder() {
    if (allQuiet()) {
      return -1;
    }
    int holder = -1;
    long lowest = Long.MAX_VALUE;
    boolean alone = false;
    for (int source = 0; source < eventTime.length; source++) {
      long clock = clockOf(source);
      if (clock < lowest) {
        lowest = clock;
        holder = source;
        alone = true;
      } else if (clock == lowest) {
        alone = false;
      }
    }
    return alone ? holder : -1;
  }

  /** The lowest clock of the upstream partitions other than {@code source}, or unknown. */
  public long lowestWithout(int source) {
    long lowest = Long.MAX_VALUE;
    for (int other = 0; other < eventTime.length; other++) {
      if (other != source) {
        long clock = clockOf(other);
        if (clock == UNKNOWN) {
          return UNKNOWN;
        }
        lowest = Math.min(lowest, clock);
      }
    }
    return lowest == Long.MAX_VALUE ? UNKNOWN : lowest;
  }

  private long candidate() {
    long min = Long.MAX_VALUE;
    for (int source = 0; source < eventTime.length; source++) {
      long clock = clockOf(source);
      if (clock == UNKNOWN) {
        return UNKNOWN;
      }
      min = Math.min(min, clock);
    }
    if (allQuiet()) {
      long shortestQuiet = Long.MAX_VALUE;
      for (long each : quietFor) {
        shortestQuiet = Math.min(shortestQuiet, each);
      }
      min = Math.max(min, max(eventTime) + shortestQuiet);
    }
    return min;
  }

  private boolean allQuiet() {
    for (long each : quietFor) {
      if (each < 0) {
        return false;
      }
    }
    return quietFor.length > 0;
  }

  private static long max(long[] values) {
    long max = UNKNOWN;
    for (long value : values) {
      max = Math.max(max, value);
    }
    return max;
  }

  private void grow(int sources) {
    if (sources > eventTime.length) {
      int old = eventTime.length;
      eventTime = Arrays.copyOf(eventTime, sources);
      drainedAsOf = Arrays.copyOf(drainedAsOf, sources);
      quietFor = Arrays.copyOf(quietFor, sources);
      caughtUp = Arrays.copyOf(caughtUp, sources);
      Arrays.fill(eventTime, old, sources, UNKNOWN);
      Arrays.fill(drainedAsOf, old, sources, UNKNOWN);
      Arrays.fill(quietFor, old, sources, -1);
    }
  }

  /**
   * A value that only grows, by the wall-clock time each step came, for {@link #HISTORY_MS} (and the
   * last step before that).
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

    /** The latest value, or unknown. */
    long latest() {
      return size == 0 ? UNKNOWN : values[size - 1];
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
