package dev.tally.topology.time;

/**
 * What this instance knows of the events topic beyond the records themselves.
 *
 * <p>Waiting records: how far the partition's consumer is behind, which says when a stage's input has
 * caught up (and may commit at once).
 *
 * <p>Unprocessed records: how many records the input stage has not processed yet, against the
 * partition's end as the brokers said it lately. Only a partition with none is drained: a partition
 * that is merely slow to be fetched or processed (a busy machine catching up on a backlog, a stream
 * thread whose tasks stopped processing while their consumer had fetched everything) must not let
 * its clock run ahead with the wall clock, or its own unprocessed events would turn late.
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
   * Records waiting on {@code partition} of the events topic to be fetched: 0 when its consumer has
   * caught up, more when behind, -1 when not known yet (no fetch answered yet).
   */
  long waiting(int partition);

  /**
   * Records of {@code partition} that the input stage has not processed: the partition's end offset
   * (read committed), as the brokers said it at most a few seconds ago, less the later of {@code
   * nextOffset} and the group's committed offset; -1 when not known. Only 0 lets the partition count
   * as drained. Transaction markers and aborted records take offsets but are never processed, so
   * "the last record processed + 1" alone would never reach the end of a transactional topic.
   *
   * @param nextOffset the offset after the last record the input stage processed, or -1 when its task
   *     has processed none since it started (then it starts at the group's committed offset, or at the
   *     partition's first record)
   */
  default long unprocessed(int partition, long nextOffset) {
    return waiting(partition);
  }

  /**
   * The wall-clock time as of which {@link #unprocessed} answers: when the brokers were asked for the
   * end offsets it goes by, or {@link Long#MIN_VALUE} when they have not answered. Ask it before
   * {@link #unprocessed}: a newer answer found nothing unprocessed only if an older one did not
   * either, since end offsets only grow. A partition drained by an answer asked at T has processed
   * every record that was visible at T.
   *
   * @param nowMs the caller's wall clock, the answer of an input state that knows at once
   */
  default long unprocessedAsOf(long nowMs) {
    return nowMs;
  }

  /** The events topic's current partition count, or -1 when not known. */
  int partitions();

  /**
   * Whether the events topic's records reach the input stage in {@link
   * dev.tally.topology.wire.InputPack}s (the application's consumers pack them) rather than one
   * by one.
   */
  default boolean packed() {
    return false;
  }
}
