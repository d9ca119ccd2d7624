package dev.tally.topology.time;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * What this instance's tasks know of time, for operators ({@code GET /tasks}): each input partition's
 * state as its input task last saw it, and each aggregating partition's low watermark with the input
 * partition that holds it back. Written by the stream threads on every punctuation, read by the admin
 * server; a task's entry goes when the task closes here.
 */
public final class ClockBoard {

  /**
   * One input partition, as its input task saw it at {@code seenAtMs}.
   *
   * @param eventTimeMs the highest event time processed since the task started, or
   *     {@link Long#MIN_VALUE}
   * @param drained whether the last look found nothing left to process
   * @param drainedSinceMs since when every look has found so ({@link Long#MIN_VALUE} when not drained)
   * @param quietForMs how long it has been quiet (drained and without records for the idle timeout),
   *     or -1
   * @param nextOffset the offset after the last record processed, or -1 before the first
   */
  public record InputClock(int partition, long eventTimeMs, boolean drained, long drainedSinceMs,
      long quietForMs, long nextOffset, long seenAtMs) {
  }

  /**
   * One aggregating partition's low watermark over the input partitions.
   *
   * @param lowWatermarkMs the low watermark, or {@link Long#MIN_VALUE} while unknown
   * @param heldBy the input partition whose clock alone keeps windows open that the others' clocks
   *     would close, or -1
   * @param heldSinceMs since when {@code heldBy} has done so, or {@link Long#MIN_VALUE}
   * @param heldByClockMs {@code heldBy}'s clock, or {@link Long#MIN_VALUE}
   */
  public record Low(int partition, long lowWatermarkMs, int heldBy, long heldSinceMs,
      long heldByClockMs) {
  }

  private final ConcurrentMap<Integer, InputClock> inputs = new ConcurrentHashMap<>();
  private final ConcurrentMap<Integer, Low> lows = new ConcurrentHashMap<>();

  public void input(InputClock clock) {
    inputs.put(clock.partition(), clock);
  }

  public void removeInput(int partition) {
    inputs.remove(partition);
  }

  public void low(Low low) {
    lows.put(low.partition(), low);
  }

  public void removeLow(int partition) {
    lows.remove(partition);
  }

  /** The input partitions whose tasks run here, by partition. */
  public List<InputClock> inputs() {
    return inputs.values().stream().sorted(java.util.Comparator.comparingInt(InputClock::partition))
        .toList();
  }

  /** The aggregating partitions whose tasks run here, by partition. */
  public List<Low> lows() {
    return lows.values().stream().sorted(java.util.Comparator.comparingInt(Low::partition)).toList();
  }
}
