package dev.tally.topology.wire;

/**
 * What one upstream partition tells every downstream partition about time. Watermarks are broadcast
 * to every downstream partition, which closes a window only when the lowest of its upstream
 * partitions' clocks has passed it ({@code LowWatermark}).
 *
 * <p>From the aggregating stage to the merging stage it is a plain promise: no more records with an
 * event time below {@code timestampMs} (except those late by then).
 *
 * <p>From the input stage it says three things of one input partition:
 * <ul>
 *   <li>{@code timestampMs}: the highest event time its task has processed, or {@link Long#MIN_VALUE}
 *       when it has processed none since it started;
 *   <li>{@code drainedAsOfMs}: when it had processed everything the brokers held for it, the
 *       wall-clock time at which the brokers were asked for that answer; {@link Long#MIN_VALUE} when
 *       it had not (or did not know). Whatever reaches the partition later became visible after that
 *       time, so it is no older than what any partition had processed by then;
 *   <li>{@code quietForMs}: when drained and without a record for the idle timeout, how long it has
 *       been without one (since its task started, when it never had one); else -1. When every input
 *       partition is quiet, event time goes on with the wall clock.
 * </ul>
 *
 * <p>Either way it also says whether its sender had caught up with its own input when it sent it
 * (nothing known to wait): when every upstream partition has, a stage commits what it has just
 * forwarded at once rather than at the end of the commit interval, which would only delay the end
 * of a backlog ({@code LiveCommit}).
 *
 * @param source the upstream partition that sends it
 * @param sources how many upstream partitions there are, as the sender knows it
 * @param timestampMs the sender's clock: the promised event time; {@link Long#MIN_VALUE} when none
 * @param quietForMs how long the input partition has been quiet, or -1 when it is not
 * @param caughtUp whether the sender had nothing known to wait on its input
 * @param drainedAsOfMs as of when the input partition had processed everything, or
 *     {@link Long#MIN_VALUE}
 */
public record Watermark(int source, int sources, long timestampMs, long quietForMs, boolean caughtUp,
    long drainedAsOfMs) implements ByUser, BySeries {

  /**
   * The record key of watermarks and {@link EventBatch}es. Not null, since Kafka Streams' repartition
   * step drops null keys; the partitioner routes both by their value, whatever the key.
   */
  public static final byte[] KEY = new byte[0];

  /** A watermark at an event time, from a sender that may still have input waiting. */
  public static Watermark at(int source, int sources, long timestampMs) {
    return at(source, sources, timestampMs, false);
  }

  /** A watermark at an event time, nothing said of draining. */
  public static Watermark at(int source, int sources, long timestampMs, boolean caughtUp) {
    return new Watermark(source, sources, timestampMs, -1, caughtUp, Long.MIN_VALUE);
  }

  /**
   * From an input partition that had processed everything the brokers held for it as of
   * {@code drainedAsOfMs}, with its clock at {@code timestampMs} ({@link Long#MIN_VALUE}: none), quiet
   * for {@code quietForMs} (-1: not quiet for the idle timeout yet).
   */
  public static Watermark drained(int source, int sources, long timestampMs, long drainedAsOfMs,
      long quietForMs) {
    return new Watermark(source, sources, timestampMs, quietForMs, true, drainedAsOfMs);
  }

  /** Whether it says its input partition had processed everything as of {@link #drainedAsOfMs}. */
  public boolean isDrained() {
    return drainedAsOfMs != Long.MIN_VALUE;
  }

  /** Whether it says its input partition has been quiet for the idle timeout. */
  public boolean isQuiet() {
    return quietForMs >= 0;
  }
}
