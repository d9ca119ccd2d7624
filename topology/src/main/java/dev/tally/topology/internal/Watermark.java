package dev.tally.topology.internal;

/**
 * A promise from one upstream partition: it will send no more records with an event time below
 * {@code timestampMs} (except records that are late by then). Watermarks are broadcast to every
 * downstream partition, which closes a window only when every upstream partition has promised past it.
 *
 * @param source the upstream partition that sends it
 * @param sources how many upstream partitions there are, as the sender knows it
 * @param timestampMs the promised event time, or {@link #NO_DATA}
 */
public record Watermark(int source, int sources, long timestampMs) implements ByUser, BySeries {

  /**
   * Sent by an upstream partition that has been idle since it started and never had a record: it holds
   * nobody back, as in Flink's idle sources, until its first record gives it a real watermark.
   */
  public static final long NO_DATA = Long.MAX_VALUE;

  /**
   * The record key of watermarks. Not null, since Kafka Streams' repartition step drops null keys; the
   * partitioner sends watermarks everywhere whatever the key.
   */
  public static final byte[] KEY = new byte[0];
}
