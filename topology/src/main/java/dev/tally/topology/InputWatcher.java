package dev.tally.topology;

import dev.tally.topology.window.InputState;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the events topic for {@link InputState}, in the background: how many records wait on each
 * partition (the consumers' own {@code records-lag} metric) and how many partitions the topic has
 * (asked of the brokers every {@value #PARTITIONS_EVERY} refreshes).
 */
final class InputWatcher implements InputState, AutoCloseable {

  private static final String GROUP = "consumer-fetch-manager-metrics";
  private static final String NAME = "records-lag";
  private static final long REFRESH_MS = 200;
  private static final int PARTITIONS_EVERY = 5;
  private static final Logger LOG = LoggerFactory.getLogger(InputWatcher.class);

  private final String topic;
  private final Admin admin;
  private final Map<Integer, Long> lag = new ConcurrentHashMap<>();
  private volatile int partitions = -1;
  private int refreshes;
  private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
      runnable -> {
        Thread thread = new Thread(runnable, "tally-consumer-lag");
        thread.setDaemon(true);
        return thread;
      });

  /**
   * @param topic the events topic
   * @param admin asks the brokers for the topic's partition count; closed by {@link #close()}
   * @param partitions the partition count found at start-up
   */
  InputWatcher(String topic, Admin admin, int partitions) {
    this.topic = topic;
    this.admin = admin;
    this.partitions = partitions;
  }

  /** Starts reading the lag of {@code streams}' consumers. */
  void watch(KafkaStreams streams) {
    refresher.scheduleWithFixedDelay(() -> refresh(streams), 0, REFRESH_MS, TimeUnit.MILLISECONDS);
  }

  private void refresh(KafkaStreams streams) {
    if (refreshes++ % PARTITIONS_EVERY == 0) {
      refreshPartitions();
    }
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

  private void refreshPartitions() {
    try {
      int now = admin.describeTopics(List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS)
          .get(topic).partitions().size();
      if (now != partitions) {
        LOG.info("Topic {} has {} partitions now (was {})", topic, now, partitions);
        partitions = now;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      LOG.debug("Cannot read the partition count of {} this time: {}", topic, e.toString());
    }
  }

  @Override
  public long waiting(int partition) {
    return lag.getOrDefault(partition, -1L);
  }

  @Override
  public int partitions() {
    return partitions;
  }

  @Override
  public void close() {
    refresher.shutdownNow();
    admin.close();
  }
}
