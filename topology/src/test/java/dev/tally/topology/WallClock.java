package dev.tally.topology;

import java.time.Duration;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * Moves a {@link TopologyTestDriver}'s wall clock as a running instance sees it: one punctuation
 * every second, not one jump. A jump is what a blocked stream thread sees, and the input stage
 * rightly does not count such a stall as time its partition was idle.
 */
final class WallClock {

  private static final Duration STEP = Duration.ofSeconds(1);

  private WallClock() {
  }

  static void advance(TopologyTestDriver driver, Duration by) {
    Duration left = by;
    while (left.compareTo(STEP) > 0) {
      driver.advanceWallClockTime(STEP);
      left = left.minus(STEP);
    }
    driver.advanceWallClockTime(left);
  }
}
