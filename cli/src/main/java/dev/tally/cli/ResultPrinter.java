package dev.tally.cli;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.schema.InfluxLines;
import dev.tally.topology.ResultSerdes;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Reads the results topic as committed (read_committed) and prints every final result in InfluxDB
 * line protocol, as it arrives.
 */
final class ResultPrinter implements AutoCloseable {

  private final KafkaConsumer<MinuteKey, MinuteCount> consumer;
  private final String topic;
  private final PrintStream out;
  /** The final results printed, by "product|event_type|window start". */
  private final Map<String, SampleTraffic.Counts> printed = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean running = true;

  ResultPrinter(String bootstrapServers, String topic, PrintStream out) {
    this.topic = topic;
    this.out = out;
    this.consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
        ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteCount().deserializer());
    this.thread = new Thread(this::loop, "tally-result-printer");
    thread.setDaemon(true);
  }

  void start() {
    List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
        .map(info -> new TopicPartition(topic, info.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread.start();
  }

  private void loop() {
    try {
      while (running) {
        for (ConsumerRecord<MinuteKey, MinuteCount> record : consumer.poll(Duration.ofMillis(200))) {
          MinuteCount result = record.value();
          if (result != null && result.getIsFinal()) {
            InfluxLines.of(result).forEach(out::println);
            out.flush();
            printed.put(SampleTraffic.key(result.getProduct(), result.getEventType(),
                result.getWindowStart().toEpochMilli()),
                new SampleTraffic.Counts(result.getCount(), result.getUniqueUsers()));
          }
        }
      }
    } catch (WakeupException stopping) {
      // close() was called
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  /** Waits until a final result of every window in {@code windows} has been printed. */
  boolean await(Set<String> windows, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!printed.keySet().containsAll(windows)) {
      if (System.nanoTime() > deadline || !thread.isAlive()) {
        return false;
      }
      Thread.sleep(100);
    }
    return true;
  }

  /** The final result printed for a window ("product|event_type|window start"), or null. */
  SampleTraffic.Counts printed(String window) {
    return printed.get(window);
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    thread.join(5_000);
  }
}
