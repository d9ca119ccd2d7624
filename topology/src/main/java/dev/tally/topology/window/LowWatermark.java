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
 * partition's last event-time watermark on by the time it has been idle; from a partition that never
 * had a watermark, it leaves the partition out of the minimum (it holds nobody back, as Flink's idle
 * sources) until its first record gives it one. The low watermark never goes back. State lives in a
 * changelogged store (key: upstream partition; {@code -2 - partition}: its last event-time watermark;
 * {@link #LOW}: the low watermark), so it survives fail-over exactly once.
 *
 * <p>It also knows whether every upstream partition's latest watermark said its sender had caught up
 * ({@link #caughtUp()}); that is not stored, since it only decides when to commit.
 */
public final class LowWatermark {

  /** Store key of the low watermark itself. */
  public static final int LOW = -1;
  private static final long UNKNOWN = Long.MIN_VALUE;
  /** An upstream partition that has only ever been idle: left out of the minimum. */
  private static final long IDLE_ONLY = Long.MAX_VALUE;

  private final KeyValueStore<Integer, Long> store;
  private long[] upstream;
  private long[] lastEventTime;
  private boolean[] caughtUp;
  private long low = UNKNOWN;

  /**
   * @param store where the watermarks are kept
   * @param expectedSources how many upstream partitions there are at least (more are learnt from the
   *     watermarks themselves when a topic grows)
   */
  public LowWatermark(KeyValueStore<Integer, Long> store, int expectedSources) {
    this.store = store;
    this.upstream = new long[0];
    this.lastEventTime = new long[0];
    this.caughtUp = new boolean[0];
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
   * @return the low watermark before this update if it advanced, else {@code null}
   */
  public Long advance(Watermark watermark) {
    grow(Math.max(watermark.sources(), watermark.source() + 1));
    int source = watermark.source();
    caughtUp[source] = watermark.caughtUp();
    long previous = upstream[source];
    long next;
    if (watermark.isIdle()) {
      long base = lastEventTime[source];
      next = base == UNKNOWN ? IDLE_ONLY : base + watermark.idleForMs();
      if (previous != UNKNOWN && previous != IDLE_ONLY && next <= previous) {
        return null;
      }
      if (next == previous) {
        return null;
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
    upstream[source] = next;
    store.put(source, next);
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
    long min = IDLE_ONLY;
    for (long value : upstream) {
      if (value == UNKNOWN) {
        return UNKNOWN;
      }
      min = Math.min(min, value);
    }
    // every upstream partition idle since it started, without a clock: there is nothing to close
    return min == IDLE_ONLY ? UNKNOWN : min;
  }

  private void grow(int sources) {
    if (sources > upstream.length) {
      int old = upstream.length;
      upstream = Arrays.copyOf(upstream, sources);
      lastEventTime = Arrays.copyOf(lastEventTime, sources);
      caughtUp = Arrays.copyOf(caughtUp, sources);
      Arrays.fill(upstream, old, sources, UNKNOWN);
      Arrays.fill(lastEventTime, old, sources, UNKNOWN);
    }
  }
}
