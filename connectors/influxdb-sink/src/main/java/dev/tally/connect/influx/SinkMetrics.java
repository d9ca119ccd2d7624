package dev.tally.connect.influx;

import java.util.LinkedHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.metrics.Measurable;
import org.apache.kafka.common.metrics.PluginMetrics;

/**
 * The task's counters, in the worker's metrics registry (group {@code connector-plugin-metrics},
 * tagged with connector and task, KIP-877) when the worker offers one: every point written,
 * every record skipped or refused, every retry.
 */
final class SinkMetrics {

  final AtomicLong pointsWritten = new AtomicLong();
  final AtomicLong liveUpdatesSkipped = new AtomicLong();
  final AtomicLong badRecords = new AtomicLong();
  final AtomicLong writeRetries = new AtomicLong();

  /** Counters registered with {@code metrics}, or only kept here when it is {@code null}. */
  SinkMetrics(PluginMetrics metrics) {
    if (metrics != null) {
      register(metrics, "points-written-total", "Points InfluxDB accepted.", pointsWritten);
      register(metrics, "live-updates-skipped-total",
          "Results of still open windows (is_final=false), not written.", liveUpdatesSkipped);
      register(metrics, "bad-records-total", "Records that could not be decoded or whose points "
          + "InfluxDB refused, reported to the errant-record reporter or skipped.", badRecords);
      register(metrics, "write-retries-total",
          "Batches put back for a retry after a 5xx, timeout or connection failure.", writeRetries);
    }
  }

  private static void register(PluginMetrics metrics, String name, String description,
      AtomicLong counter) {
    metrics.addMetric(metrics.metricName(name, description, new LinkedHashMap<>()),
        (Measurable) (config, now) -> counter.get());
  }
}
