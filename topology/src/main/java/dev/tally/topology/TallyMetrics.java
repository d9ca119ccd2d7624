package dev.tally.topology;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.common.metrics.stats.Value;
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
 *       the boundary was set: their events are lost to both generations, see the README);
 *   <li>input tasks: {@code input-event-time-ms}, the highest event time processed;
 *       {@code input-drained}, 1 when nothing of the partition is left to process, else 0;
 *       {@code input-quiet-ms}, how long it has been quiet (-1: not quiet);
 *   <li>aggregating tasks: {@code low-watermark-ms}, the lowest clock over the input partitions;
 *       {@code held-back-by-partition}, the input partition whose clock alone keeps windows open
 *       that the others' would close (-1: none); {@code held-back-ms}, for how long.
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
  public static final String INPUT_EVENT_TIME = "input-event-time-ms";
  public static final String INPUT_DRAINED = "input-drained";
  public static final String INPUT_QUIET = "input-quiet-ms";
  public static final String LOW_WATERMARK = "low-watermark-ms";
  public static final String HELD_BACK_BY = "held-back-by-partition";
  public static final String HELD_BACK_MS = "held-back-ms";

  private final ProcessingContext context;
  private final Map<String, Sensor> sensors = new HashMap<>();

  public TallyMetrics(ProcessingContext context) {
    this.context = context;
  }

  /** What a sensor measures. */
  private enum Kind {
    COUNTER, AVERAGE_AND_MAX, GAUGE
  }

  /**
   * The counter {@code name}, with an optional {@code tagKey=tagValue}, registered on first use.
   * Callers keep the sensor: recording is then one call, with no lookup on the hot path.
   */
  public Sensor counter(String name, String tagKey, String tagValue) {
    return sensor(name + "." + tagValue, name, tagKey, tagValue, Kind.COUNTER);
  }

  /** The average and maximum of {@code name} ({@code name-avg}, {@code name-max}). */
  public Sensor averageAndMax(String name) {
    return sensor(name, name, null, null, Kind.AVERAGE_AND_MAX);
  }

  /** A gauge: {@code name} is the last value recorded. */
  public Sensor gauge(String name) {
    return sensor(name, name, null, null, Kind.GAUGE);
  }

  private Sensor sensor(String id, String name, String tagKey, String tagValue, Kind kind) {
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
    switch (kind) {
      case AVERAGE_AND_MAX -> {
        sensor.add(new MetricName(name + "-avg", GROUP, "Tally: average " + name, tags), new Avg());
        sensor.add(new MetricName(name + "-max", GROUP, "Tally: maximum " + name, tags), new Max());
      }
      case COUNTER -> sensor.add(new MetricName(name, GROUP, "Tally: " + name.replace('-', ' '),
          tags), new CumulativeSum());
      case GAUGE -> sensor.add(new MetricName(name, GROUP, "Tally: " + name.replace('-', ' '),
          tags), new Value());
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
