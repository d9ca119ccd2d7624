package dev.tally.topology.internal;

/**
 * A promise from one upstream partition: it will send no more records with an event time below
 * {@code timestampMs} (except records that are late by then). Watermarks are broadcast to every
 * downstream partition, which closes a window only when every upstream partition has promised past it.
 *
 * <p>An input partition that has had no record since its task started (a restart, or a partition
 * that never had data) does not know its clock; once it is idle and caught up it sends
 * {@link #idle idle watermarks} instead, saying for how long, and the downstream partition moves that
 * partition's last known watermark on by as much. A partition that never had data promises no time of
 * its own: its idle watermark says as of when it was known to have nothing to process, and the
 * downstream partition lets it hold nobody back only as far as the other partitions had got by then
 * ({@code LowWatermark}).
 *
 * <p>A watermark also says whether its sender had caught up with its own input when it sent it
 * (nothing known to wait): when every upstream partition has, a stage commits what it has just
 * forwarded at once rather than at the end of the commit interval, which would only delay the end
 * of a backlog ({@code LiveCommit}).
 *
 * @param source the upstream partition that sends it
 * @param sources how many upstream partitions there are, as the sender knows it
 * @param timestampMs the promised event time; {@link Long#MIN_VALUE} in an idle watermark
 * @param idleForMs in an idle watermark, how long the partition has been idle with no clock; else -1
 * @param caughtUp whether the sender had nothing known to wait on its input (always, when idle)
 * @param idleAsOfMs in an idle watermark, the wall-clock time as of which the partition had nothing
 *     left to process: when the brokers were asked for the answer that said so ({@link Long#MIN_VALUE}
 *     when not known); else {@link Long#MIN_VALUE}
 */
public record Watermark(int source, int sources, long timestampMs, long idleForMs, boolean caughtUp,
    long idleAsOfMs) implements ByUser, BySeries {

  /**
   * The record key of watermarks and {@link EventBatch}es. Not null, since Kafka Streams' repartition
   * step drops null keys; the partitioner routes both by their value, whatever the key.
   */
  public static final byte[] KEY = new byte[0];

  /** A watermark at an event time, from a sender that may still have input waiting. */
  public static Watermark at(int source, int sources, long timestampMs) {
    return at(source, sources, timestampMs, false);
  }

  /** A watermark at an event time. */
  public static Watermark at(int source, int sources, long timestampMs, boolean caughtUp) {
    return new Watermark(source, sources, timestampMs, -1, caughtUp, Long.MIN_VALUE);
  }

  /**
   * From a partition idle, caught up, and without a clock since its task started {@code idleForMs}
   * ago; it had nothing left to process as of {@code asOfMs} (wall clock).
   */
  public static Watermark idle(int source, int sources, long idleForMs, long asOfMs) {
    return new Watermark(source, sources, Long.MIN_VALUE, idleForMs, true, asOfMs);
  }

  public boolean isIdle() {
    return idleForMs >= 0;
  }
}
