package dev.tally.topology.route;

/**
 * What the input stage knows of time on one input partition, which its watermarks announce
 * downstream ({@link LowWatermark} turns it into the partition's clock there).
 *
 * <ul>
 *   <li>Its event time: the highest event time of the records its task processed, so a replay of
 *       old data keeps its own time.
 *   <li>Whether it is drained: the last look found nothing of it left to process, by the brokers'
 *       offsets as of a wall-clock time ({@link InputState#unprocessed}, which account for
 *       transaction markers and aborted records).
 *   <li>Whether it is quiet: drained as of a time at least {@code idleTimeoutMs} after its last
 *       record (after its task started, when it never had one); then how long it had been without
 *       one by that time. Nothing became visible on the partition meanwhile: had it, the task would
 *       have processed it.
 * </ul>
 *
 * <p>A gap longer than {@code maxLookGapMs} between two looks (a stream thread blocked in a long
 * commit, a rebalance, a blocking offset fetch, a GC pause) starts the quiet time again. With the
 * brokers' offsets that is only caution, since an answer asked during the stall shows the records
 * that piled up; with an input state that knows no offsets ({@link InputState#TIME_ONLY}) it is
 * what keeps those records from turning late.
 *
 * <p>It lives in memory only: the input stage keeps no state, so that growing the events topic
 * (which changes its number of tasks) never meets a changelog of the old size. A task that has had
 * no record since it started has no event time; the next stage remembers the partition's last one.
 */
public final class SourceClock {

  private static final long NONE = Long.MIN_VALUE;

  private final long idleTimeoutMs;
  private final long maxLookGapMs;
  private long maxEventMs = NONE;
  /** Since when the partition counts as without records: its last record, its start, a stall. */
  private long quietSinceWallMs;
  /** Since when every look found nothing unprocessed. */
  private long drainedSinceWallMs;
  private long lastLookWallMs;
  /** The as-of time of the answer the last look went by. */
  private long asOfMs = NONE;
  /** The last gap between looks that counted as a stall, until {@link #takeStall()} took it. */
  private long stallMs;
  /** What the last look found. */
  private boolean drained;

  /**
   * @param idleTimeoutMs how long a partition must have been without records, as of an answer that
   *     found it drained, to be quiet
   * @param maxLookGapMs the longest time between two looks that still counts as watching the
   *     partition: a longer one is a stall, and the quiet time starts again after it
   * @param nowWallMs when the task started
   */
  public SourceClock(long idleTimeoutMs, long maxLookGapMs, long nowWallMs) {
    this.idleTimeoutMs = idleTimeoutMs;
    this.maxLookGapMs = maxLookGapMs;
    this.quietSinceWallMs = nowWallMs;
    this.drainedSinceWallMs = nowWallMs;
    this.lastLookWallMs = nowWallMs;
  }

  /** Notes one record's event time. */
  public void observe(long eventMs, long nowWallMs) {
    quietSinceWallMs = Math.max(quietSinceWallMs, nowWallMs);
    lastLookWallMs = Math.max(lastLookWallMs, nowWallMs);
    if (eventMs > maxEventMs) {
      maxEventMs = eventMs;
    }
  }

  /**
   * Takes one look at the partition.
   *
   * @param unprocessed records of the partition not processed yet, as {@link
   *     InputState#unprocessed} says: only 0 is drained (-1: not known)
   * @param asOfMs when the brokers were asked for the answer {@code unprocessed} goes by
   */
  public void look(long nowWallMs, long unprocessed, long asOfMs) {
    long gap = nowWallMs - lastLookWallMs;
    if (gap > maxLookGapMs) {
      stallMs = gap;
      quietSinceWallMs = Math.max(quietSinceWallMs, nowWallMs);
    }
    boolean drainedNow = unprocessed == 0 && asOfMs != NONE;
    if (drainedNow && !drained) {
      drainedSinceWallMs = nowWallMs;
    }
    drained = drainedNow;
    this.asOfMs = asOfMs;
    lastLookWallMs = Math.max(lastLookWallMs, nowWallMs);
  }

  /** The highest event time processed, or {@link Long#MIN_VALUE} when none since the task started. */
  public long eventTime() {
    return maxEventMs;
  }

  /** Whether the last look found nothing left to process. */
  public boolean drained() {
    return drained;
  }

  /** Since when every look has found it drained (meaningful while {@link #drained()}). */
  public long drainedSince() {
    return drainedSinceWallMs;
  }

  /**
   * How long the partition had been without a record as of the last look's answer, when that is at
   * least the idle timeout and the answer found it drained; else -1.
   */
  public long quietFor() {
    if (!drained) {
      return -1;
    }
    long quiet = asOfMs - quietSinceWallMs;
    return quiet >= idleTimeoutMs ? quiet : -1;
  }

  /** The last gap between two looks that was too long to count as quiet time (once), or 0. */
  public long takeStall() {
    long stall = stallMs;
    stallMs = 0;
    return stall;
  }
}
