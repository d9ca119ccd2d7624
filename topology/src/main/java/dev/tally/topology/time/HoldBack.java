package dev.tally.topology.time;

/**
 * Which upstream partition holds windows back, and since when: the one whose clock alone keeps a
 * window open that the other partitions' clocks would close. It says when that has lasted long enough
 * to tell an operator, and when it ends.
 */
public final class HoldBack {

  /** What changed with an {@link #observe}. */
  public enum Change {
    NONE,
    /** The same partition has held windows back for longer than the limit: tell, once. */
    HELD_LONG,
    /** A partition that was told about no longer holds windows back. */
    RELEASED
  }

  private final long limitMs;
  private int heldBy = -1;
  private int released = -1;
  private long sinceMs;
  private long releasedAfterMs;
  private boolean told;

  /** @param limitMs how long a partition may hold windows back before it is told */
  public HoldBack(long limitMs) {
    this.limitMs = limitMs;
  }

  /**
   * The partition of {@code low}'s upstream ones that alone keeps a window open which the others'
   * clocks would close, or -1.
   */
  public static int holder(LowWatermark low, Windows windows) {
    int holder = low.holder();
    if (holder < 0 || low.current() == Long.MIN_VALUE) {
      return -1;
    }
    long others = low.lowestWithout(holder);
    return others != Long.MIN_VALUE
        && windows.firstOpenStart(others) > windows.firstOpenStart(low.current()) ? holder : -1;
  }

  /** Notes who holds windows back now ({@link #holder}, or -1). */
  public Change observe(long nowMs, int holder) {
    Change change = Change.NONE;
    if (holder != heldBy) {
      if (told) {
        change = Change.RELEASED;
        released = heldBy;
        releasedAfterMs = nowMs - sinceMs;
      }
      heldBy = holder;
      sinceMs = nowMs;
      told = false;
    }
    if (heldBy >= 0 && !told && nowMs - sinceMs > limitMs) {
      told = true;
      change = Change.HELD_LONG;
    }
    return change;
  }

  /** The partition that holds windows back, or -1. */
  public int heldBy() {
    return heldBy;
  }

  /** Since when {@link #heldBy} has held windows back. */
  public long sinceMs() {
    return sinceMs;
  }

  /** After a {@link Change#RELEASED}: the partition released. */
  public int released() {
    return released;
  }

  /** After a {@link Change#RELEASED}: how long it had held windows back. */
  public long releasedAfterMs() {
    return releasedAfterMs;
  }
}
