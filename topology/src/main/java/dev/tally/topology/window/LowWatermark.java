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
 * <p>It stays unknown until every upstream partition has reported once. An upstream partition that
 * reports {@link Watermark#NO_DATA} (idle since it started) is left out of the minimum until it reports a
 * real watermark. The low watermark never goes back. State lives in a changelogged store (key = upstream
 * partition, {@link #LOW} = the low watermark itself), so it survives fail-over exactly once.
 */
public final class LowWatermark {

  /** Store key of the low watermark itself. */
  static final int LOW = -1;
  private static final long UNKNOWN = Long.MIN_VALUE;

  private final KeyValueStore<Integer, Long> store;
  private long[] upstream;
  private long low = UNKNOWN;

  /**
   * @param store where the watermarks are kept
   * @param expectedSources how many upstream partitions there are at least (more are learnt from the
   *     watermarks themselves when a topic grows)
   */
  public LowWatermark(KeyValueStore<Integer, Long> store, int expectedSources) {
    this.store = store;
    this.upstream = new long[expectedSources];
    Arrays.fill(upstream, UNKNOWN);
    try (KeyValueIterator<Integer, Long> all = store.all()) {
      while (all.hasNext()) {
        KeyValue<Integer, Long> entry = all.next();
        if (entry.key == LOW) {
          low = entry.value;
        } else {
          grow(entry.key + 1);
          upstream[entry.key] = entry.value;
        }
      }
    }
  }

  /** The current low watermark, or {@link Long#MIN_VALUE} while unknown. */
  public long current() {
    return low;
  }

  /**
   * Takes one upstream partition's watermark.
   *
   * @return the low watermark before this update if it advanced, else {@code null}
   */
  public Long advance(Watermark watermark) {
    grow(Math.max(watermark.sources(), watermark.source() + 1));
    int source = watermark.source();
    long previous = upstream[source];
    long next = watermark.timestampMs();
    if (next == Watermark.NO_DATA) {
      // a real watermark is never replaced by "no data" (a restarted idle source says so again)
      if (previous != UNKNOWN) {
        return null;
      }
    } else if (previous != UNKNOWN && previous != Watermark.NO_DATA && next <= previous) {
      return null;
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
    long min = Watermark.NO_DATA;
    for (long value : upstream) {
      if (value == UNKNOWN) {
        return UNKNOWN;
      }
      min = Math.min(min, value);
    }
    // every upstream partition idle since start: there is nothing to close
    return min == Watermark.NO_DATA ? UNKNOWN : min;
  }

  private void grow(int sources) {
    if (sources > upstream.length) {
      int old = upstream.length;
      upstream = Arrays.copyOf(upstream, sources);
      Arrays.fill(upstream, old, sources, UNKNOWN);
    }
  }
}
