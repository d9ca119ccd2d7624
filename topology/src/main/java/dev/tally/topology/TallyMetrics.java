package dev.tally.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
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
 *       final result (live traffic: about the grace period; a backfill: the data's age).
 * </ul>
 */
public final class TallyMetrics {

  public static final String GROUP = "tally-metrics";
  public static final String EVENTS_DECODED = "events-decoded-total";
  public static final String DEAD_LETTERS = "dead-letter-records-total";
  public static final String WINDOWS_FINALIZED = "windows-finalized-total";
  public static final String FINAL_DELAY = "final-emit-delay-ms";

  private final ProcessingContext context;
  private final Map<String, Sensor> sensors = new HashMap<>();
  private final List<Sensor> owned = new ArrayList<>();

  public TallyMetrics(ProcessingContext context) {
    this.context = context;
  }

  /** Adds {@code amount} to the counter {@code name}, with an optional {@code tagKey=tagValue}. */
  public void add(String name, String tagKey, String tagValue, long amount) {
    String id = name + "|" + tagKey + "|" + tagValue;
    Sensor sensor = sensors.get(id);
    if (sensor == null) {
      sensor = register(name, tagKey, tagValue);
      sensors.put(id, sensor);
    }
    sensor.record(amount);
  }

  /** Records one observation of {@code name}, kept as its average and maximum. */
  public void observe(String name, long value) {
    Sensor sensor = sensors.get(name);
    if (sensor == null) {
      sensor = context.metrics().addSensor("tally." + context.taskId() + "." + name,
          Sensor.RecordingLevel.INFO);
      Map<String, String> tags = tags();
      sensor.add(new MetricName(name + "-avg", GROUP, "Tally: average " + name, tags), new Avg());
      sensor.add(new MetricName(name + "-max", GROUP, "Tally: maximum " + name, tags), new Max());
      owned.add(sensor);
      sensors.put(name, sensor);
    }
    sensor.record(value);
  }

  private Map<String, String> tags() {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("thread-id", Thread.currentThread().getName());
    tags.put("task-id", context.taskId().toString());
    return tags;
  }

  private Sensor register(String name, String tagKey, String tagValue) {
    Map<String, String> tags = tags();
    if (tagKey != null) {
      tags.put(tagKey, tagValue);
    }
    String sensorName = "tally." + context.taskId() + "." + name + "." + tagValue;
    Sensor sensor = context.metrics().addSensor(sensorName, Sensor.RecordingLevel.INFO);
    sensor.add(new MetricName(name, GROUP, "Tally: " + name.replace('-', ' '), tags),
        new CumulativeSum());
    owned.add(sensor);
    return sensor;
  }

  /** Unregisters this task's sensors. */
  public void close() {
    for (Sensor sensor : owned) {
      context.metrics().removeSensor(sensor);
    }
    owned.clear();
    sensors.clear();
  }
}
