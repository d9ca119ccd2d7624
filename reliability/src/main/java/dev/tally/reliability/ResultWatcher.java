package dev.tally.reliability;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.schema.SeriesWindow;
import dev.tally.topology.ResultSerdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads the results topic from the start, {@code read_committed}, for the whole run, on a thread of
 * its own: every final record by (series, window), so that a window with no final or with two shows,
 * and the windows seen final so far, so that late events can be aimed at closed windows.
 */
final class ResultWatcher implements AutoCloseable {

  private final String bootstrapServers;
  private final String topic;
  private final Map<SeriesWindow, List<MinuteCount>> finals = new HashMap<>();
  private final SortedSet<Long> finalWindows = new TreeSet<>();
  private long records;
  private volatile boolean stopping;
  private volatile Throwable failure;
  private Thread thread;

  ResultWatcher(String bootstrapServers, String topic) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
  }

  void start() {
    thread = new Thread(this::run, "result-watcher");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try (KafkaConsumer<MinuteKey, MinuteCount> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
        ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteCount().deserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      while (partitions.isEmpty() && !stopping) {
        // Tally creates the topic at its first start
        consumer.listTopics(Duration.ofSeconds(5)).getOrDefault(topic, List.of())
            .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        if (partitions.isEmpty()) {
          Thread.sleep(500);
        }
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (!stopping) {
        for (ConsumerRecord<MinuteKey, MinuteCount> record : consumer.poll(Duration.ofMillis(200))) {
          take(record.value());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      failure = e;
    }
  }

  private synchronized void take(MinuteCount value) {
    records++;
    if (value.getIsFinal()) {
      long window = value.getWindowStart().toEpochMilli();
      finals.computeIfAbsent(new SeriesWindow(value.getProduct(), value.getEventType(), window),
          key -> new ArrayList<>()).add(value);
      finalWindows.add(window);
    }
  }

  /** Final records by (series, window), as read so far. */
  synchronized Map<SeriesWindow, List<MinuteCount>> finals() {
    Map<SeriesWindow, List<MinuteCount>> copy = new HashMap<>();
    finals.forEach((key, values) -> copy.put(key, List.copyOf(values)));
    return copy;
  }

  /** Window starts that have at least one final record. */
  synchronized SortedSet<Long> finalWindows() {
    return new TreeSet<>(finalWindows);
  }

  /** Result records read (live and final). */
  synchronized long records() {
    return records;
  }

  Throwable failure() {
    return failure;
  }

  @Override
  public void close() throws InterruptedException {
    stopping = true;
    if (thread != null) {
      thread.join(10_000);
    }
  }
}
