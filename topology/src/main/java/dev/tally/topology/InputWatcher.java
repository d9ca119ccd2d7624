package dev.tally.topology;

import dev.tally.topology.window.InputState;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.apache.kafka.streams.processor.internals.DefaultKafkaClientSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the events topic for {@link InputState}: how many records wait on each partition, and how
 * many partitions the topic has (asked of the brokers every {@value #PARTITIONS_EVERY_MS} ms, in the
 * background).
 *
 * <p>Waiting records come from the stream thread's own main consumer ({@link Consumer#currentLag}:
 * the last stable offset of its latest fetch less the position its polls have reached), which this
 * class creates as Kafka Streams' {@link #clientSupplier() client supplier} and finds again by the
 * asking thread's name. The input stage only asks on its stream thread, which owns the consumer, so
 * the answer is as fresh as the thread's last poll: the end of a backlog is seen with its last
 * records, not one refresh later.
 */
final class InputWatcher implements InputState, AutoCloseable {

  private static final long PARTITIONS_EVERY_MS = 1_000;
  /** Kafka Streams names a stream thread's main consumer after the thread, with this suffix. */
  private static final String CONSUMER_SUFFIX = "-consumer";
  private static final Logger LOG = LoggerFactory.getLogger(InputWatcher.class);

  private final String topic;
  private final Admin admin;
  /** Main consumers by client id. */
  private final Map<String, Consumer<byte[], byte[]>> consumers = new ConcurrentHashMap<>();
  private volatile int partitions;
  private final boolean packed;
  private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
      runnable -> {
        Thread thread = new Thread(runnable, "tally-partition-count");
        thread.setDaemon(true);
        return thread;
      });

  /**
   * @param topic the events topic
   * @param admin asks the brokers for the topic's partition count; closed by {@link #close()}
   * @param partitions the partition count found at start-up
   * @param packed whether the main consumers hand the events topic's records over in packs
   *     ({@link PackingConsumer})
   */
  InputWatcher(String topic, Admin admin, int partitions, boolean packed) {
    this.topic = topic;
    this.admin = admin;
    this.partitions = partitions;
    this.packed = packed;
  }

  /**
   * Kafka Streams' own default clients, but for main consumers that {@linkplain PackingConsumer pack}
   * the events topic's records if so configured; the main consumers are remembered.
   */
  KafkaClientSupplier clientSupplier() {
    return new DefaultKafkaClientSupplier() {
      @Override
      public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
        Consumer<byte[], byte[]> consumer = packed ? new PackingConsumer(config, topic)
            : super.getConsumer(config);
        consumers.put(String.valueOf(config.get(ConsumerConfig.CLIENT_ID_CONFIG)), consumer);
        return consumer;
      }
    };
  }

  /** Starts asking for the partition count. */
  void watch() {
    refresher.scheduleWithFixedDelay(this::refreshPartitions, 0, PARTITIONS_EVERY_MS,
        TimeUnit.MILLISECONDS);
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

  /**
   * {@inheritDoc}
   *
   * <p>Only a stream thread that has {@code partition} assigned knows; any other caller gets -1.
   */
  @Override
  public long waiting(int partition) {
    Consumer<byte[], byte[]> consumer = consumers.get(Thread.currentThread().getName()
        + CONSUMER_SUFFIX);
    if (consumer == null) {
      return -1;
    }
    try {
      OptionalLong lag = consumer.currentLag(new TopicPartition(topic, partition));
      return lag.isPresent() ? Math.max(0, lag.getAsLong()) : -1;
    } catch (IllegalStateException e) {
      return -1; // not assigned to this thread (any more), or the consumer is closed
    }
  }

  @Override
  public int partitions() {
    return partitions;
  }

  @Override
  public boolean packed() {
    return packed;
  }

  @Override
  public void close() {
    refresher.shutdownNow();
    admin.close();
  }
}
