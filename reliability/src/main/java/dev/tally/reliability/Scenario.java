package dev.tally.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * One run of the harness: the stream, the cluster and the faults, all derived from a seed, so a run
 * that found a problem can be run again as it was.
 *
 * @param seed drives the events, the poison and the fault times
 * @param streamDuration how long events are produced
 * @param eventsPerSecond the producer's rate
 * @param series (product, event_type) series
 * @param usersPerSeries distinct users a series draws from (so users repeat within a window)
 * @param windowMs Tally's window size
 * @param graceMs Tally's grace; must exceed the longest producer stall the faults cause
 * @param instances Tally instances (OS processes)
 * @param brokers Kafka nodes (OS processes)
 * @param partitions partitions of the events topic and of Tally's shuffles
 * @param standbys {@code num.standby.replicas}
 * @param faults the faults to inject, in order of time
 * @param outage how long Redis or InfluxDB stays down, and a killed process stays dead at most
 * @param poisonRate share of records that are poison
 * @param duplicateRate share of events sent twice (two records: counted twice)
 * @param lateWindows windows that get late events once their final result is out
 */
public record Scenario(long seed, Duration streamDuration, int eventsPerSecond, int series,
    int usersPerSeries, long windowMs, long graceMs, int instances, int brokers, int partitions,
    int standbys, List<Planned> faults, Duration outage, double poisonRate, double duplicateRate,
    int lateWindows) {

  /** A fault at a point of the run. */
  public record Planned(Fault fault, Duration at) {
  }

  public Scenario {
    faults = List.copyOf(faults);
    if (instances < 2 && faults.stream().anyMatch(p -> p.fault() == Fault.INSTANCE_KILL)) {
      throw new IllegalArgumentException("killing an instance needs at least 2 instances");
    }
    if (brokers < 3 && faults.stream().anyMatch(p -> p.fault() == Fault.BROKER_KILL)) {
      throw new IllegalArgumentException("killing a broker needs at least 3 brokers");
    }
  }

  /**
   * Places {@code count} faults of each kind at random points of the stream (after a first tenth of
   * warm-up, and early enough that each one is over before the stream ends), chosen by the seed.
   */
  public static List<Planned> plan(long seed, Duration stream, Duration outage, List<Fault> kinds,
      int count) {
    Random random = new Random(seed ^ 0x5DEECE66DL);
    long from = stream.toMillis() / 10;
    long to = Math.max(from + 1, stream.toMillis() - outage.toMillis() - 5_000);
    List<Planned> planned = new ArrayList<>();
    for (Fault kind : kinds) {
      for (int i = 0; i < count; i++) {
        planned.add(new Planned(kind, Duration.ofMillis(from + (long) (random.nextDouble() * (to - from)))));
      }
    }
    planned.sort(Comparator.comparing(Planned::at));
    return planned;
  }

  /** The short scenario of the test suite: one instance kill and one Redis outage on a small stream. */
  public static Scenario quick(long seed) {
    // the late events need windows final before the stream ends: the first come out after the kill's
    // fail-over (9 to 14 s on this 2-core machine with three brokers, two instances and the sinks)
    // and end + grace; at 60 s a slow day left too little of the stream for them
    Duration stream = Duration.ofSeconds(75);
    Duration outage = Duration.ofSeconds(30);
    List<Planned> faults = List.of(
        new Planned(Fault.INSTANCE_KILL, Duration.ofMillis(12_000 + new Random(seed).nextInt(6_000))),
        new Planned(Fault.REDIS_OUTAGE, Duration.ofSeconds(22)));
    return new Scenario(seed, stream, 150, 8, 40, 5_000, 15_000, 2, 3, 4, 1, faults, outage, 0.01,
        0.02, 2);
  }

  public Scenario withStandbys(int count) {
    return new Scenario(seed, streamDuration, eventsPerSecond, series, usersPerSeries, windowMs, graceMs,
        instances, brokers, partitions, count, faults, outage, poisonRate, duplicateRate, lateWindows);
  }
}
