package dev.tally.topology.window;

/**
 * How many records are known to wait on an input partition. A partition without new records counts as
 * idle only when nothing is known to wait on it: a partition that is merely slow to be fetched (a
 * busy machine catching up on a backlog) must not let its clock run ahead with the wall clock, or its
 * own waiting events would turn late.
 */
@FunctionalInterface
public interface InputLag {

  /** Nothing known: idleness is judged by the idle timeout alone. */
  InputLag UNKNOWN = partition -> -1;

  /** Records waiting on {@code partition} of the events topic: 0 when caught up, -1 when unknown. */
  long of(int partition);
}
