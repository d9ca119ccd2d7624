package dev.tally.topology;

import java.util.HashMap;
import java.util.Map;

/**
 * Decides which of many similar log lines to write: the first of each kind, then at most one every
 * {@code everyMs}, saying how many were left out, so that a flood of bad or skipped records cannot
 * drown the log while every kind still shows up once with its coordinates.
 *
 * @param <K> the kind of line (a reason, a side)
 */
public final class ThrottledLog<K> {

  private final long everyMs;
  private final Map<K, long[]> state = new HashMap<>();

  public ThrottledLog(long everyMs) {
    this.everyMs = everyMs;
  }

  /**
   * Notes one occurrence of {@code kind}.
   *
   * @return -1 when it should not be logged, else how many of this kind were left out since the last
   *     line
   */
  public long admit(K kind, long nowMs) {
    long[] last = state.computeIfAbsent(kind, k -> new long[] {Long.MIN_VALUE, 0});
    if (last[0] != Long.MIN_VALUE && nowMs - last[0] < everyMs) {
      last[1]++;
      return -1;
    }
    long leftOut = last[1];
    last[0] = nowMs;
    last[1] = 0;
    return leftOut;
  }

  /** The suffix of a logged line: nothing, or how many were left out. */
  public static String leftOut(long count) {
    return count == 0 ? "" : " (" + count + " more of this kind since the last such line)";
  }
}
