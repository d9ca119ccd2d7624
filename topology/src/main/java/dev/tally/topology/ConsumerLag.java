package dev.tally.topology;

import dev.tally.topology.window.InputLag;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The consumers' own view of how many records wait on each partition of the events topic (their
 * {@code records-lag} metric), refreshed in the background, for the idle rule of {@link InputLag}.
 */
final class ConsumerLag implements InputLag, AutoCloseable {

  private static final String GROUP = "consumer-fetch-manager-metrics";
  private static final String NAME = "records-lag";
  private static final long REFRESH_MS = 200;

  private final String topic;
  private final Map<Integer, Long> lag = new ConcurrentHashMap<>();
  private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
      runnable -> {
        Thread thread = new Thread(runnable, "tally-consumer-lag");
        thread.setDaemon(true);
        return thread;
      });

  ConsumerLag(String topic) {
    this.topic = topic;
  }

  /** Starts reading the lag of {@code streams}' consumers. */
  void watch(KafkaStreams streams) {
    refresher.scheduleWithFixedDelay(() -> refresh(streams), 0, REFRESH_MS, TimeUnit.MILLISECONDS);
  }

  private void refresh(KafkaStreams streams) {
    Map<Integer, Long> seen = new java.util.HashMap<>();
    for (Map.Entry<MetricName, ? extends Metric> entry : streams.metrics().entrySet()) {
      MetricName name = entry.getKey();
      if (!NAME.equals(name.name()) || !GROUP.equals(name.group())
          || !topic.equals(name.tags().get("topic")) || name.tags().get("partition") == null) {
        continue;
      }
      Object value = entry.getValue().metricValue();
      if (value instanceof Double records && !records.isNaN()) {
        seen.merge(Integer.parseInt(name.tags().get("partition")), records.longValue(), Math::max);
      }
    }
    lag.keySet().retainAll(seen.keySet());
    lag.putAll(seen);
  }

  @Override
  public long of(int partition) {
    return lag.getOrDefault(partition, -1L);
  }

  @Override
  public void close() {
    refresher.shutdownNow();
  }
}
