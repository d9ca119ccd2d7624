package dev.tally.topology.window;

import dev.tally.topology.internal.Watermark;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The event-time clock of one input partition, which its watermarks announce downstream.
 *
 * <p>While records flow, it is the highest event time seen, so a replay of old data keeps its own
 * time. Once the partition has had no record for {@code idleTimeoutMs} of wall-clock time, it keeps
 * advancing with the wall clock from the last record's event time, so that the last open window still
 * closes when traffic stops. A partition that has had no record at all since the task started says
 * {@link Watermark#NO_DATA} once idle, which holds nobody back. A partition with records known to
 * wait on it, or not known to be caught up ({@link InputLag}), is never idle. The highest event time is kept in a changelogged store;
 * idleness is measured from the task's start after a restart.
 */
public final class SourceClock {

  private static final int MAX_EVENT_TIME = 0;
  private static final long NONE = Long.MIN_VALUE;

  private final KeyValueStore<Integer, Long> store;
  private final long idleTimeoutMs;
  private long maxEventMs;
  private long lastRecordWallMs;

  public SourceClock(KeyValueStore<Integer, Long> store, long idleTimeoutMs, long nowWallMs) {
    this.store = store;
    this.idleTimeoutMs = idleTimeoutMs;
    Long stored = store.get(MAX_EVENT_TIME);
    this.maxEventMs = stored == null ? NONE : stored;
    this.lastRecordWallMs = nowWallMs;
  }

  /** Notes one record's event time. */
  public void observe(long eventMs, long nowWallMs) {
    lastRecordWallMs = nowWallMs;
    if (eventMs > maxEventMs) {
      maxEventMs = eventMs;
      store.put(MAX_EVENT_TIME, eventMs);
    }
  }

  /**
   * The watermark to announce now, or {@link Long#MIN_VALUE} when there is nothing to say yet.
   *
   * @param waiting records waiting on the partition as {@link InputLag#of} says: only 0 (caught up)
   *     lets it be idle
   */
  public long watermark(long nowWallMs, long waiting) {
    long idleFor = nowWallMs - lastRecordWallMs;
    if (idleFor < idleTimeoutMs || waiting != 0) {
      return maxEventMs;
    }
    return maxEventMs == NONE ? Watermark.NO_DATA : maxEventMs + idleFor;
  }
}
