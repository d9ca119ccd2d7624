package dev.tally.topology.internal;

/**
 * A promise from one upstream partition: it will send no more records with an event time below
 * {@code timestampMs} (except records that are late by then). Watermarks are broadcast to every
 * downstream partition, which closes a window only when every upstream partition has promised past it.
 *
 * <p>An input partition that has had no record since its task started (a restart, or a partition
 * that never had data) does not know its clock; once it is idle and caught up it sends
 * {@link #idle idle watermarks} instead, saying for how long, and the downstream partition moves that
 * partition's last known watermark on by as much (or leaves a partition that never had data out).
 *
 * @param source the upstream partition that sends it
 * @param sources how many upstream partitions there are, as the sender knows it
 * @param timestampMs the promised event time; {@link Long#MIN_VALUE} in an idle watermark
 * @param idleForMs in an idle watermark, how long the partition has been idle with no clock; else -1
 */
public record Watermark(int source, int sources, long timestampMs, long idleForMs)
    implements ByUser, BySeries {

  /**
   * The record key of watermarks and {@link EventBatch}es. Not null, since Kafka Streams' repartition
   * step drops null keys; the partitioner routes both by their value, whatever the key.
   */
  public static final byte[] KEY = new byte[0];

  /** A watermark at an event time. */
  public static Watermark at(int source, int sources, long timestampMs) {
    return new Watermark(source, sources, timestampMs, -1);
  }

  /** From a partition idle, caught up, and without a clock since its task started {@code idleForMs} ago. */
  public static Watermark idle(int source, int sources, long idleForMs) {
    return new Watermark(source, sources, Long.MIN_VALUE, idleForMs);
  }

  public boolean isIdle() {
    return idleForMs >= 0;
  }
}
