package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.topology.time.Generation;
import dev.tally.topology.time.Windows;
import dev.tally.topology.wire.BySeries;
import dev.tally.topology.wire.InternalSerdes;
import dev.tally.topology.wire.Partial;
import dev.tally.topology.wire.StoreKeys;
import dev.tally.topology.wire.Watermark;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * A generation counts and emits only its own windows ({@code tally.generation.from} and
 * {@code until}): the others' events are skipped, counted, not dead-lettered, and still move the clock.
 */
class GenerationTest {

  private static final long MINUTE = 60_000;
  /** 2016-11-07T08:32:00Z. */
  private static final long W = 1478507520000L;
  private static final Instant WALL = Instant.ofEpochMilli(W + 5_000);

  @Test
  void theOldGenerationSkipsWindowsFromTheBoundaryAndStillClosesItsLastOne() {
    long until = W + MINUTE;
    try (Driver driver = new Driver(new Generation(Long.MIN_VALUE, until))) {
      driver.event("u1", W + 1_000);
      driver.event("u2", W + 59_999);
      driver.event("u3", until); // the new generation's
      driver.event("u4", until + 5_000);
      driver.event("u1", W + 30_000); // out of order, within grace: still the old generation's
      driver.event("u5", until + 10_000); // closes W, though the old generation skips it

      assertEquals(Map.of(W, "3/2"), driver.finals());
      assertTrue(driver.deadLetters.isEmpty(), "skipped events were dead-lettered");
      assertEquals(3.0, driver.metric(TallyMetrics.GENERATION_SKIPPED, "after"));
      assertEquals(0.0, driver.metric(TallyMetrics.GENERATION_SKIPPED, "before"));

      driver.event("u6", until + 3 * MINUTE);
      WallClock.advance(driver.driver, Duration.ofMinutes(10));
      assertEquals(Map.of(), driver.finals(), "results of a window the old generation does not own");
    }
  }

  @Test
  void theNewGenerationSkipsEarlierWindowsWithoutCallingThemLate() {
    long from = W + MINUTE;
    try (Driver driver = new Driver(new Generation(from, Long.MAX_VALUE))) {
      driver.event("u1", W + 1_000); // the old generation's
      driver.event("u2", from + 1_000);
      driver.event("u3", from + 2_000);
      driver.event("u4", W + 59_000); // the old generation's, out of order
      driver.event("u2", from + MINUTE + 10_000); // closes `from`
      driver.event("u9", W - 5 * MINUTE); // long closed: another generation's, not a late one here

      assertEquals(Map.of(from, "2/2"), driver.finals());
      assertTrue(driver.deadLetters.isEmpty(), "skipped events were dead-lettered");
      assertEquals(3.0, driver.metric(TallyMetrics.GENERATION_SKIPPED, "before"));
    }
  }

  @Test
  void stateCountedBeforeTheBoundaryWasSetIsWithheld() {
    long until = W + MINUTE;
    try (Driver driver = new Driver(new Generation(Long.MIN_VALUE, until))) {
      TestInputTopic<byte[], BySeries> partials = driver.driver.createInputTopic(
          "gen-test-by-series-repartition", new ByteArraySerializer(),
          InternalSerdes.bySeries().serializer());
      byte[] series = StoreKeys.series("live", "rails-5xx");
      // partials as the aggregating stage sent them before a restart with the boundary
      partials.pipeInput(series, new Partial(0, "live", "rails-5xx", W, 4, 2), WALL);
      partials.pipeInput(series, new Partial(0, "live", "rails-5xx", until, 1, 1), WALL);
      partials.pipeInput(Watermark.KEY, Watermark.at(0, 1, until + 2 * MINUTE), WALL);

      assertEquals(Map.of(W, "4/2"), driver.finals());
      assertEquals(1.0, driver.metric(TallyMetrics.RESULTS_WITHHELD, null));
    }
  }

  @Test
  void theBoundaryIsAWindowStartAtLeastTheLeadAhead() {
    Windows windows = new Windows(MINUTE, 10_000);
    assertEquals(W + MINUTE, Handover.boundaryAfter(W + 1, MINUTE - 1, windows));
    assertEquals(W + MINUTE, Handover.boundaryAfter(W, MINUTE, windows));
    assertEquals(W + 2 * MINUTE, Handover.boundaryAfter(W + 1, MINUTE, windows));
    assertEquals(W, Generation.parseBoundary("2016-11-07T08:32:00Z"));
    assertEquals(W, Generation.parseBoundary(" " + W + " "));
    Generation generation = new Generation(W, W + MINUTE);
    assertTrue(generation.owns(W) && !generation.owns(W + MINUTE) && generation.isBefore(W - MINUTE));
  }

  /** The topology with one input and one aggregating partition, and its topics. */
  private static final class Driver implements AutoCloseable {
    final TopologyTestDriver driver;
    final TestInputTopic<byte[], byte[]> events;
    final TestOutputTopic<MinuteKey, MinuteCount> results;
    final TestOutputTopic<byte[], byte[]> deadLetters;

    Driver(Generation generation) {
      TopologySettings settings = new TopologySettings("events", "results", "dead-letters", "users", "ranges",
          new Windows(MINUTE, 10_000), 5_000, 1_000, 200, 1, 1, generation);
      Properties props = new Properties();
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, "gen-test");
      props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
      driver = new TopologyTestDriver(TallyApp.topology(settings), props, WALL);
      events = driver.createInputTopic("events", new ByteArraySerializer(), new ByteArraySerializer(),
          WALL, Duration.ZERO);
      results = driver.createOutputTopic("results", ResultSerdes.minuteKey().deserializer(),
          ResultSerdes.minuteCount().deserializer());
      deadLetters = driver.createOutputTopic("dead-letters", new ByteArrayDeserializer(),
          new ByteArrayDeserializer());
    }

    void event(String user, long ms) {
      String line = "event_type=rails-5xx,product=live value=" + user + " " + ms * 1_000_000L;
      events.pipeInput(null, line.getBytes(StandardCharsets.UTF_8), WALL);
    }

    /** Final results so far: window start to "count/users"; fails on a window emitted twice. */
    Map<Long, String> finals() {
      Map<Long, String> finals = new TreeMap<>();
      for (MinuteCount value : results.readValuesToList()) {
        if (value.getIsFinal()) {
          long window = value.getWindowStart().toEpochMilli();
          String previous = finals.put(window, value.getCount() + "/" + value.getUniqueUsers());
          assertEquals(null, previous, "two final results for " + Instant.ofEpochMilli(window));
        }
      }
      return finals;
    }

    double metric(String name, String side) {
      double total = 0;
      for (Map.Entry<MetricName, ? extends Metric> entry : driver.metrics().entrySet()) {
        MetricName metric = entry.getKey();
        if (metric.group().equals(TallyMetrics.GROUP) && metric.name().equals(name)
            && (side == null || side.equals(metric.tags().get("side")))) {
          total += ((Number) entry.getValue().metricValue()).doubleValue();
        }
      }
      return total;
    }

    @Override
    public void close() {
      driver.close();
    }
  }
}
