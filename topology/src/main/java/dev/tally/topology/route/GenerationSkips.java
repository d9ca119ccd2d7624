package dev.tally.topology.route;

import dev.tally.topology.TallyMetrics;
import dev.tally.topology.ThrottledLog;
import dev.tally.topology.time.Generation;
import java.time.Instant;
import org.apache.kafka.common.metrics.Sensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events of windows outside this application's {@link Generation}: counted per side (a metric), and
 * logged with their coordinates, at most one line per side every {@value #LOG_EVERY_MS} ms. Not
 * dead-lettered: another generation counts them.
 */
final class GenerationSkips {

  /** Under the input stage's name, where operators look for its lines. */
  private static final Logger LOG = LoggerFactory.getLogger(RouteProcessor.class);
  private static final long LOG_EVERY_MS = 10_000;

  private final Generation generation;
  private final TallyMetrics metrics;
  private final ThrottledLog<Boolean> log = new ThrottledLog<>(LOG_EVERY_MS);
  private Sensor before;
  private Sensor after;

  GenerationSkips(Generation generation, TallyMetrics metrics) {
    this.generation = generation;
    this.metrics = metrics;
  }

  /** Notes one skipped event of {@code window}, read at {@code offset} of the given partition. */
  void skip(long window, long nowMs, String topic, int partition, long offset) {
    boolean isBefore = generation.isBefore(window);
    sensor(isBefore).record(1);
    long leftOut = log.admit(isBefore, nowMs);
    if (leftOut >= 0) {
      LOG.info("Skipping event of a window another generation owns. side=[{}] window=[{}] "
              + "generation=[{}] topic=[{}] partition=[{}] offset=[{}]{}",
          isBefore ? "before" : "after", Instant.ofEpochMilli(window), generation, topic, partition,
          offset, ThrottledLog.leftOut(leftOut));
    }
  }

  /** Each side's counter, registered on its first skip. */
  private Sensor sensor(boolean isBefore) {
    if (isBefore) {
      if (before == null) {
        before = metrics.counter(TallyMetrics.GENERATION_SKIPPED, "side", "before");
      }
      return before;
    }
    if (after == null) {
      after = metrics.counter(TallyMetrics.GENERATION_SKIPPED, "side", "after");
    }
    return after;
  }
}
