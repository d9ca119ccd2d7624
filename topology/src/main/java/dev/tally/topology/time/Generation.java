package dev.tally.topology.time;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The windows one application generation owns: those starting in {@code [fromMs, untilMs)}. Raising
 * the aggregation parallelism needs a new {@code application.id}; the old generation then counts the
 * windows before a boundary and the new one the windows from it on, so that every window has exactly
 * one owner and one final result. Both bounds are window starts; {@link Long#MIN_VALUE} and
 * {@link Long#MAX_VALUE} leave a side open.
 *
 * @param fromMs the first window start owned (inclusive)
 * @param untilMs the first window start no longer owned (exclusive)
 */
public record Generation(long fromMs, long untilMs) {

  /** Every window: the only generation until parallelism is raised. */
  public static final Generation UNBOUNDED = new Generation(Long.MIN_VALUE, Long.MAX_VALUE);

  public Generation {
    if (fromMs >= untilMs) {
      throw new IllegalArgumentException("a generation must own at least one window: from "
          + fromMs + " is not before until " + untilMs);
    }
  }

  /**
   * A boundary as operators write it: milliseconds since the epoch ({@code 1764579600000}) or an
   * ISO-8601 instant ({@code 2025-12-01T09:00:00Z}).
   *
   * @throws IllegalArgumentException saying what is accepted
   */
  public static long parseBoundary(String text) {
    String trimmed = text.trim();
    try {
      if (trimmed.matches("-?[0-9]+")) {
        return Long.parseLong(trimmed);
      }
      return Instant.parse(trimmed).toEpochMilli();
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
      throw new IllegalArgumentException("'" + text + "' is neither milliseconds since the epoch nor "
          + "an ISO-8601 instant such as 2025-12-01T09:00:00Z");
    }
  }

  /** True when the window starting at {@code windowStart} belongs to this generation. */
  public boolean owns(long windowStart) {
    return windowStart >= fromMs && windowStart < untilMs;
  }

  /** True when the window starting at {@code windowStart} belongs to an earlier generation. */
  public boolean isBefore(long windowStart) {
    return windowStart < fromMs;
  }

  public boolean isUnbounded() {
    return fromMs == Long.MIN_VALUE && untilMs == Long.MAX_VALUE;
  }

  @Override
  public String toString() {
    return "[" + (fromMs == Long.MIN_VALUE ? "-inf" : Instant.ofEpochMilli(fromMs)) + ", "
        + (untilMs == Long.MAX_VALUE ? "+inf" : Instant.ofEpochMilli(untilMs)) + ")";
  }
}
