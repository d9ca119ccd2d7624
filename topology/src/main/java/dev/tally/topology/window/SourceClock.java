package dev.tally.topology.window;

/**
 * The event-time clock of one input partition, which its watermarks announce downstream.
 *
 * <p>While records flow, it is the highest event time seen, so a replay of old data keeps its own
 * time. Once the partition has had no record for {@code idleTimeoutMs} of wall-clock time and the
 * input stage has processed all of it ({@link InputState#unprocessed}), it keeps advancing with the
 * wall clock from the last record's event time, so that the last open window still closes when
 * traffic stops.
 *
 * <p>Idle means seen idle: every look at the partition ({@link #watermark} and {@link #idleFor}, on
 * each wall-clock punctuation) for {@code idleTimeoutMs} found nothing of it unprocessed, with no
 * gap longer than {@code maxLookGapMs} between two looks. A stream thread that was blocked (a long
 * commit, a rebalance, a blocking offset fetch, a GC pause) saw nothing meanwhile, and records may
 * have piled up unseen; counting that time as idle would move the clock on by the length of the
 * stall and make those records late. After a gap, the idle time starts again.
 *
 * <p>It lives in memory only: the input stage keeps no state, so that growing the events topic
 * (which changes its number of tasks) never meets a changelog of the old size. A task that has had
 * no record since it started knows no clock; it only says how long it has been idle
 * ({@link #idleFor}), and the next stage, which remembers the partition's last watermark, moves it
 * on.
 */
public final class SourceClock {

  private static final long NONE = Long.MIN_VALUE;

  private final long idleTimeoutMs;
  private final long maxLookGapMs;
  private final long startedWallMs;
  private long maxEventMs = NONE;
  private long lastRecordWallMs;
  /** Since when every look found nothing unprocessed, without a gap between looks. */
  private long seenIdleSinceWallMs;
  private long lastLookWallMs;
  /** The last gap between looks that counted as a stall, until {@link #takeStall()} took it. */
  private long stallMs;
  /** What the last look found. */
  private boolean idle;

  /**
   * @param idleTimeoutMs how long a partition must be seen idle before its clock follows the wall
   *     clock
   * @param maxLookGapMs the longest time between two looks that still counts as watching the
   *     partition: a longer one is a stall, and the idle time starts again after it
   * @param nowWallMs when the task started
   */
  public SourceClock(long idleTimeoutMs, long maxLookGapMs, long nowWallMs) {
    this.idleTimeoutMs = idleTimeoutMs;
    this.maxLookGapMs = maxLookGapMs;
    this.startedWallMs = nowWallMs;
    this.lastRecordWallMs = nowWallMs;
    this.seenIdleSinceWallMs = nowWallMs;
    this.lastLookWallMs = nowWallMs;
  }

  /** Notes one record's event time. */
  public void observe(long eventMs, long nowWallMs) {
    idle = false;
    lastRecordWallMs = nowWallMs;
    seenIdleSinceWallMs = nowWallMs;
    lastLookWallMs = nowWallMs;
    if (eventMs > maxEventMs) {
      maxEventMs = eventMs;
    }
  }

  /**
   * The watermark to announce now, or {@link Long#MIN_VALUE} when this task has seen no record yet.
   *
   * @param unprocessed records of the partition not processed yet, as {@link
   *     InputState#unprocessed} says: only 0 lets it be idle
   */
  public long watermark(long nowWallMs, long unprocessed) {
    boolean idle = look(nowWallMs, unprocessed);
    if (maxEventMs == NONE) {
      return NONE;
    }
    return idle ? maxEventMs + (nowWallMs - lastRecordWallMs) : maxEventMs;
  }

  /**
   * For a task that has seen no record since it started: how long it has been idle, or
   * -1 when it is not (or when it has a clock).
   */
  public long idleFor(long nowWallMs, long unprocessed) {
    boolean idle = look(nowWallMs, unprocessed);
    return maxEventMs == NONE && idle ? nowWallMs - startedWallMs : -1;
  }

  /** Whether the last look found the partition idle: its clock follows the wall clock. */
  public boolean idle() {
    return idle;
  }

  /** The last gap between two looks that was too long to count as idle time (once), or 0. */
  public long takeStall() {
    long stall = stallMs;
    stallMs = 0;
    return stall;
  }

  /** Takes one look at the partition; true when it has been seen idle for the idle timeout. */
  private boolean look(long nowWallMs, long unprocessed) {
    long gap = nowWallMs - lastLookWallMs;
    if (gap > maxLookGapMs) {
      stallMs = gap;
    }
    if (unprocessed != 0 || gap > maxLookGapMs) {
      seenIdleSinceWallMs = nowWallMs;
    }
    lastLookWallMs = Math.max(lastLookWallMs, nowWallMs);
    idle = unprocessed == 0 && nowWallMs - seenIdleSinceWallMs >= idleTimeoutMs;
    return idle;
  }
}
