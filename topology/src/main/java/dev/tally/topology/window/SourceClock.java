package dev.tally.topology.window;

/**
 * The event-time clock of one input partition, which its watermarks announce downstream.
 *
 * <p>While records flow, it is the highest event time seen, so a replay of old data keeps its own
 * time. Once the partition has had no record for {@code idleTimeoutMs} of wall-clock time and is
 * caught up ({@link InputState}), it keeps advancing with the wall clock from the last record's event
 * time, so that the last open window still closes when traffic stops.
 *
 * <p>It lives in memory only: the input stage keeps no state, so that growing the events topic
 * (which changes its number of tasks) never meets a changelog of the old size. A task that has had no
 * record since it started knows no clock; it only says how long it has been idle
 * ({@link #idleFor}), and the next stage, which remembers the partition's last watermark, moves it on.
 */
public final class SourceClock {

  private static final long NONE = Long.MIN_VALUE;

  private final long idleTimeoutMs;
  private final long startedWallMs;
  private long maxEventMs = NONE;
  private long lastRecordWallMs;

  public SourceClock(long idleTimeoutMs, long nowWallMs) {
    this.idleTimeoutMs = idleTimeoutMs;
    this.startedWallMs = nowWallMs;
    this.lastRecordWallMs = nowWallMs;
  }

  /** Notes one record's event time. */
  public void observe(long eventMs, long nowWallMs) {
    lastRecordWallMs = nowWallMs;
    if (eventMs > maxEventMs) {
      maxEventMs = eventMs;
    }
  }

  /**
   * The watermark to announce now, or {@link Long#MIN_VALUE} when this task has seen no record yet.
   *
   * @param waiting records waiting on the partition as {@link InputState#waiting} says: only 0 (caught
   *     up) lets it be idle
   */
  public long watermark(long nowWallMs, long waiting) {
    if (maxEventMs == NONE) {
      return NONE;
    }
    long idleFor = nowWallMs - lastRecordWallMs;
    return isIdle(idleFor, waiting) ? maxEventMs + idleFor : maxEventMs;
  }

  /**
   * For a task that has seen no record since it started: how long it has been idle and caught up, or
   * -1 when it is not (or when it has a clock).
   */
  public long idleFor(long nowWallMs, long waiting) {
    long idleFor = nowWallMs - startedWallMs;
    return maxEventMs == NONE && isIdle(idleFor, waiting) ? idleFor : -1;
  }

  private boolean isIdle(long idleFor, long waiting) {
    return idleFor >= idleTimeoutMs && waiting == 0;
  }
}
