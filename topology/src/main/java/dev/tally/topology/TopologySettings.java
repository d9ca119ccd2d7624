package dev.tally.topology;

import dev.tally.topology.time.Generation;
import dev.tally.topology.time.Windows;
import java.util.Objects;

/**
 * Everything the topology's shape depends on. Built from {@link TallyConfig} by the application, or
 * directly by tests.
 *
 * @param eventsTopic the input topic
 * @param resultsTopic the output topic: live updates and final per-minute results
 * @param deadLetterTopic where bad input and late events go, with the reason in headers
 * @param usersTopic where each closed window's distinct users go, as hashes, per aggregating partition;
 *     empty for nowhere
 * @param rangesTopic where each series' distinct users per UTC hour and day go once the hour or day
 *     is final; empty for nowhere
 * @param windows window size and grace
 * @param idleTimeoutMs how long every input partition must be quiet (drained, no records) before the
 *     clocks follow the wall clock
 * @param liveIntervalMs how often live updates of open windows are emitted, at most
 * @param watermarkIntervalMs how often input partitions announce their clock, at most
 * @param inputPartitions partitions of the events topic (more are learnt at runtime if it grows)
 * @param aggregationPartitions partitions of the two internal shuffle topics: the aggregation's parallelism
 * @param generation the windows this application generation counts and emits; events of other
 *     windows are skipped
 */
public record TopologySettings(String eventsTopic, String resultsTopic, String deadLetterTopic,
    String usersTopic, String rangesTopic, Windows windows, long idleTimeoutMs, long liveIntervalMs, long watermarkIntervalMs,
    int inputPartitions, int aggregationPartitions, Generation generation) {

  /** Settings of the one generation that owns every window. */
  public TopologySettings(String eventsTopic, String resultsTopic, String deadLetterTopic,
      String usersTopic, String rangesTopic, Windows windows, long idleTimeoutMs,
      long liveIntervalMs, long watermarkIntervalMs, int inputPartitions,
      int aggregationPartitions) {
    this(eventsTopic, resultsTopic, deadLetterTopic, usersTopic, rangesTopic, windows, idleTimeoutMs, liveIntervalMs,
        watermarkIntervalMs, inputPartitions, aggregationPartitions, Generation.UNBOUNDED);
  }

  public TopologySettings {
    Objects.requireNonNull(eventsTopic, "eventsTopic");
    Objects.requireNonNull(resultsTopic, "resultsTopic");
    Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
    Objects.requireNonNull(usersTopic, "usersTopic");
    Objects.requireNonNull(rangesTopic, "rangesTopic");
    Objects.requireNonNull(windows, "windows");
    Objects.requireNonNull(generation, "generation");
    if (inputPartitions < 1 || aggregationPartitions < 1) {
      throw new IllegalArgumentException("partition counts must be positive");
    }
  }
}
