package dev.tally.topology.window;

/**
 * What this instance knows of the events topic beyond the records themselves.
 *
 * <p>Waiting records: a partition without new records counts as idle only when nothing is known to
 * wait on it, since a partition that is merely slow to be fetched (a busy machine catching up on a
 * backlog) must not let its clock run ahead with the wall clock, or its own waiting events would
 * turn late.
 *
 * <p>Partition count: when the topic grows, the watermarks announce the new count at once, so that
 * windows wait for the new partitions' clocks instead of closing on the old partitions alone while
 * the new ones are not assigned yet.
 */
public interface InputState {

  /** Nothing known: every partition taken as caught up, the partition count as configured. */
  InputState TIME_ONLY = new InputState() {
    @Override
    public long waiting(int partition) {
      return 0;
    }

    @Override
    public int partitions() {
      return -1;
    }
  };

  /**
   * Records waiting on {@code partition} of the events topic: 0 when known to be caught up, more when
   * behind, -1 when not known yet (no fetch answered yet): only 0 lets the partition be idle.
   */
  long waiting(int partition);

  /** The events topic's current partition count, or -1 when not known. */
  int partitions();

  /**
   * Whether the events topic's records reach the input stage in {@link
   * dev.tally.topology.internal.InputPack}s (the application's consumers pack them) rather than one
   * by one.
   */
  default boolean packed() {
    return false;
  }
}
