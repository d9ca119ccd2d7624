package dev.tally.topology;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.streams.processor.api.ProcessingContext;

/**
 * Tally's own counters of one stream task, registered in Kafka Streams' metrics registry (so they show
 * in JMX and {@code KafkaStreams#metrics()} next to Kafka Streams' own), group {@value #GROUP}, tagged
 * with thread and task.
 *
 * <ul>
 *   <li>{@code events-decoded-total} (tag {@code format}): events decoded per input format;
 *   <li>{@code dead-letter-records-total} (tag {@code reason}): records sent to the dead-letter topic;
 *   <li>{@code windows-finalized-total}: final results emitted;
 *   <li>{@code final-emit-delay-ms-avg} and {@code -max}: wall-clock time from a window's end to its
 *       final result (live traffic: about the grace period; a backfill: the data's age);
 *   <li>{@code generation-skipped-total} (tag {@code side}: {@code before}, {@code after}): events of
 *       windows another application generation owns ({@code tally.generation.from}/{@code until});
 *   <li>{@code generation-results-withheld-total}: results of such windows not emitted (counted before
 *       the boundary was set: their events are lost to both generations, see the README).
 * </ul>
 */
public final class TallyMetrics {

  public static final String GROUP = "tally-metrics";
  public static final String EVENTS_DECODED = "events-decoded-total";
  public static final String DEAD_LETTERS = "dead-letter-records-total";
  public static final String WINDOWS_FINALIZED = "windows-finalized-total";
  public static final String FINAL_DELAY = "final-emit-delay-ms";
  public static final String GENERATION_SKIPPED = "generation-skipped-total";
  public static final String RESULTS_WITHHELD = "generation-results-withheld-total";

  private final ProcessingContext context;
  private final Map<String, Sensor> sensors = new HashMap<>();

  public TallyMetrics(ProcessingContext context) {
    this.context = context;
  }

  /**
   * The counter {@code name}, with an optional {@code tagKey=tagValue}, registered on first use.
   * Callers keep the sensor: recording is then one call, with no lookup on the hot path.
   */
  public Sensor counter(String name, String tagKey, String tagValue) {
    return sensor(name + "." + tagValue, name, tagKey, tagValue, false);
  }

  /** The average and maximum of {@code name} ({@code name-avg}, {@code name-max}). */
  public Sensor averageAndMax(String name) {
    return sensor(name, name, null, null, true);
  }

  private Sensor sensor(String id, String name, String tagKey, String tagValue, boolean avgMax) {
    Sensor sensor = sensors.get(id);
    if (sensor != null) {
      return sensor;
    }
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("thread-id", Thread.currentThread().getName());
    tags.put("task-id", context.taskId().toString());
    if (tagKey != null) {
      tags.put(tagKey, tagValue);
    }
    sensor = context.metrics().addSensor("tally." + context.taskId() + "." + id,
        Sensor.RecordingLevel.INFO);
    if (avgMax) {
      sensor.add(new MetricName(name + "-avg", GROUP, "Tally: average " + name, tags), new Avg());
      sensor.add(new MetricName(name + "-max", GROUP, "Tally: maximum " + name, tags), new Max());
    } else {
      sensor.add(new MetricName(name, GROUP, "Tally: " + name.replace('-', ' '), tags),
          new CumulativeSum());
    }
    sensors.put(id, sensor);
    return sensor;
  }

  /** Unregisters this task's sensors. */
  public void close() {
    for (Sensor sensor : sensors.values()) {
      context.metrics().removeSensor(sensor);
    }
    sensors.clear();
  }
}
