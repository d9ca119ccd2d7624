package dev.tally.topology.window;

/**
 * How many records are known to wait on an input partition. A partition without new records counts as
 * idle only when nothing is known to wait on it: a partition that is merely slow to be fetched (a
 * busy machine catching up on a backlog) must not let its clock run ahead with the wall clock, or its
 * own waiting events would turn late.
 */
@FunctionalInterface
public interface InputLag {

  /** Every partition taken as caught up: idleness is judged by the idle timeout alone. */
  InputLag TIME_ONLY = partition -> 0;

  /**
   * Records waiting on {@code partition} of the events topic: 0 when known to be caught up, more when
   * behind, -1 when not known yet (no fetch answered yet): only 0 lets the partition be idle.
   */
  long of(int partition);
}
