package dev.tally.topology;

import dev.tally.topology.aggregate.AggregateProcessor;
import dev.tally.topology.merge.MergeProcessor;
import dev.tally.topology.time.LowWatermark;
import dev.tally.topology.time.Windows;
import dev.tally.topology.wire.ByUser;
import dev.tally.topology.wire.EventBatch;
import dev.tally.topology.wire.InternalSerdes;
import dev.tally.topology.wire.Watermark;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.IntegerDeserializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a hand-over from one application generation to the next needs to know and do on the brokers
 * ({@code tally generation} drives it): where the new generation starts on the events topic, what the
 * old generation has seen and finalized, and setting the new consumer group's offsets.
 *
 * <p>Everything is read from Kafka, not from the instances: the old generation's committed offsets,
 * and its watermark stores' changelogs, which Kafka Streams writes in the same transaction as the
 * results they allowed, so a watermark read with {@code read_committed} proves that those results are
 * on the results topic.
 */
public final class Handover implements AutoCloseable {

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final Logger LOG = LoggerFactory.getLogger(Handover.class);

  private final TallyConfig old;
  private final Admin admin;
  private final Map<String, Object> consumerProperties;

  private Handover(TallyConfig old, Admin admin, Map<String, Object> consumerProperties) {
    this.old = old;
    this.admin = admin;
    this.consumerProperties = consumerProperties;
  }

  /** Connects with the old generation's configuration (brokers, security, application.id). */
  public static Handover connect(TallyConfig old) {
    Properties streams = old.streamsProperties();
    Map<String, Object> admin = clientProperties(streams, AdminClientConfig.configNames());
    Map<String, Object> consumer = clientProperties(streams, ConsumerConfig.configNames());
    consumer.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumer.remove(ConsumerConfig.GROUP_ID_CONFIG);
    consumer.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    return new Handover(old, Admin.create(admin), consumer);
  }

  private static Map<String, Object> clientProperties(Properties streams, Set<String> known) {
    Map<String, Object> properties = new HashMap<>();
    streams.forEach((key, value) -> {
      if (known.contains(key.toString())) {
        properties.put(key.toString(), value);
      }
    });
    return properties;
  }

  /** The first window start at least {@code leadMs} after {@code nowMs}. */
  public static long boundaryAfter(long nowMs, long leadMs, Windows windows) {
    long earliest = nowMs + leadMs;
    long start = windows.startOf(earliest);
    return start == earliest ? start : start + windows.sizeMs();
  }

  /** The old generation's application id. */
  public String oldApplicationId() {
    return old.getString("application.id");
  }

  /**
   * Where the new generation starts on each partition of the events topic: the old generation's
   * committed offset (every event before it has been counted by the old one), or the partition's
   * earliest offset where the old one has committed none (it has read nothing there yet either).
   */
  public Map<TopicPartition, Long> startOffsets() {
    String events = old.getString(TallyConfig.EVENTS_TOPIC);
    try {
      int partitions = admin.describeTopics(List.of(events)).allTopicNames().get().get(events)
          .partitions().size();
      Map<TopicPartition, OffsetAndMetadata> committed = committed();
      Map<TopicPartition, OffsetSpec> missing = new HashMap<>();
      Map<TopicPartition, Long> start = new TreeMap<>(
          (a, b) -> Integer.compare(a.partition(), b.partition()));
      for (int p = 0; p < partitions; p++) {
        TopicPartition partition = new TopicPartition(events, p);
        OffsetAndMetadata offset = committed.get(partition);
        if (offset == null) {
          LOG.info("{} has no committed offset on {}: the new generation starts there at the "
              + "earliest offset", oldApplicationId(), partition);
          missing.put(partition, OffsetSpec.earliest());
        } else {
          start.put(partition, offset.offset());
        }
      }
      if (!missing.isEmpty()) {
        for (Map.Entry<TopicPartition, ListOffsetsResultInfo> entry
            : admin.listOffsets(missing).all().get().entrySet()) {
          start.put(entry.getKey(), entry.getValue().offset());
        }
      }
      return start;
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot read the offsets of " + oldApplicationId() + " on "
          + events + ": " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * The newest event time each input partition has announced to the old generation's aggregating
   * stage, as far as the events before {@link #startOffsets()} go (call it after that): an event of
   * a window at or after the boundary in here means producers run ahead of the clock, and the new
   * generation, starting after it, would never count it.
   *
   * <p>The input stage announces such an event in the transaction that commits its offset. So the
   * announcement is either processed by the aggregating stage (its {@code aggregate-watermarks}
   * changelog, committed with its offsets on the by-user shuffle) or still waiting on the shuffle,
   * between those offsets and the shuffle's last stable offset, which is read here too.
   */
  public Map<Integer, Long> lastEventTimes() {
    String shuffle = oldApplicationId() + "-by-user-repartition";
    Map<Integer, Long> times = new TreeMap<>();
    try (KafkaConsumer<byte[], ByUser> consumer = new KafkaConsumer<>(consumerProperties,
        new ByteArrayDeserializer(), InternalSerdes.byUser().deserializer())) {
      List<TopicPartition> partitions = partitions(shuffle);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      Map<TopicPartition, OffsetAndMetadata> processed = committed();
      readChangelog(AggregateProcessor.WATERMARKS_STORE, (partition, key, value) -> {
        if (LowWatermark.isLastEventTimeKey(key)) {
          times.merge(LowWatermark.lastEventTimeKey(key), value, Math::max);
        }
      });
      consumer.assign(partitions);
      for (TopicPartition partition : partitions) {
        OffsetAndMetadata offset = processed.get(partition);
        if (offset == null) {
          consumer.seekToBeginning(List.of(partition));
        } else {
          consumer.seek(partition, offset.offset());
        }
      }
      readUpTo(consumer, shuffle, ends, record -> {
        if (record.value() instanceof Watermark watermark
            && watermark.timestampMs() != Long.MIN_VALUE) {
          times.merge(watermark.source(), watermark.timestampMs(), Math::max);
        } else if (record.value() instanceof EventBatch batch && batch.count() > 0) {
          // counted by an instance not yet restarted with the boundary
          times.merge(batch.source(), batch.maxTimestampMs(), Math::max);
        }
      });
    }
    return times;
  }

  /**
   * The old generation's merging stage's low watermark, per merging partition ({@link Long#MIN_VALUE}
   * where it has none yet): every window closed under it has its final results on the results topic.
   */
  public Map<Integer, Long> mergeLowWatermarks() {
    Map<Integer, Long> low = new TreeMap<>();
    int partitions = readChangelog(MergeProcessor.WATERMARKS_STORE, (partition, key, value) -> {
      if (key == LowWatermark.LOW) {
        low.put(partition, value);
      }
    });
    for (int p = 0; p < partitions; p++) {
      low.putIfAbsent(p, Long.MIN_VALUE);
    }
    return low;
  }

  /**
   * Sets the new generation's consumer group offsets on the events topic, before its first start.
   *
   * @throws IllegalStateException when the group has members or already has offsets there
   */
  public void seed(String newApplicationId, Map<TopicPartition, Long> offsets) {
    String events = old.getString(TallyConfig.EVENTS_TOPIC);
    try {
      try {
        ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(newApplicationId))
            .all().get().get(newApplicationId);
        if (group != null && !group.members().isEmpty()) {
          throw new IllegalStateException("group " + newApplicationId + " has " + group.members().size()
              + " members: the new generation is running already; its offsets can only be set "
              + "before its first start");
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof GroupIdNotFoundException)) {
          throw e;
        }
      }
      Set<TopicPartition> existing = admin.listConsumerGroupOffsets(newApplicationId)
          .partitionsToOffsetAndMetadata().get().keySet().stream()
          .filter(partition -> partition.topic().equals(events)).collect(Collectors.toSet());
      if (!existing.isEmpty()) {
        throw new IllegalStateException("group " + newApplicationId + " already has offsets on "
            + events + " " + existing + " (set before, or the new generation has run): use a "
            + "fresh application.id, or delete the group (kafka-consumer-groups.sh --delete --group "
            + newApplicationId + ") if it never ran");
      }
      Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
      offsets.forEach((partition, offset) -> commit.put(partition, new OffsetAndMetadata(offset,
          "tally generation hand-over from " + oldApplicationId())));
      admin.alterConsumerGroupOffsets(newApplicationId, commit).all().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot set the offsets of " + newApplicationId + ": "
          + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * The old generation's committed offsets, all topics: those of its last committed transactions.
   * Not {@code requireStable}: the admin client leaves out the partitions with a transaction in
   * flight instead of waiting, and under steady traffic there always is one; the last committed
   * offset is the one every claim here rests on anyway.
   */
  private Map<TopicPartition, OffsetAndMetadata> committed() {
    try {
      return admin.listConsumerGroupOffsets(oldApplicationId()).partitionsToOffsetAndMetadata().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot read the offsets of " + oldApplicationId() + ": "
          + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private List<TopicPartition> partitions(String topic) {
    try {
      return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
          .partitions().stream().map(info -> new TopicPartition(topic, info.partition())).toList();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        throw new IllegalStateException("no topic " + topic + ": is " + oldApplicationId()
            + " the application.id of the old generation, and has it run?");
      }
      throw new IllegalStateException("cannot describe " + topic + ": " + e.getCause().getMessage(),
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Polls until every partition's position has reached {@code ends}. */
  private static <K, V> void readUpTo(KafkaConsumer<K, V> consumer, String topic,
      Map<TopicPartition, Long> ends, Consumer<ConsumerRecord<K, V>> sink) {
    long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
    while (ends.entrySet().stream().anyMatch(end -> consumer.position(end.getKey()) < end.getValue())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("could not read " + topic + " to its end within "
            + READ_TIMEOUT.toSeconds() + " s");
      }
      for (ConsumerRecord<K, V> record : consumer.poll(Duration.ofMillis(200))) {
        sink.accept(record);
      }
    }
  }

  /** Kafka Streams' name of a store's changelog topic. */
  static String changelog(String applicationId, String store) {
    return applicationId + "-" + store + "-changelog";
  }

  private interface Entry {
    void take(int partition, int key, long value);
  }

  /**
   * Reads a watermark store's whole changelog (a handful of keys per partition: it is compacted) up
   * to its last stable offset.
   *
   * @return the number of partitions
   */
  private int readChangelog(String store, Entry sink) {
    String topic = changelog(oldApplicationId(), store);
    List<TopicPartition> partitions = partitions(topic);
    try (KafkaConsumer<Integer, Long> consumer = new KafkaConsumer<>(consumerProperties,
        new IntegerDeserializer(), new LongDeserializer())) {
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      readUpTo(consumer, topic, consumer.endOffsets(partitions), record -> {
        if (record.key() != null && record.value() != null) {
          sink.take(record.partition(), record.key(), record.value());
        }
      });
      return partitions.size();
    }
  }

  @Override
  public void close() {
    admin.close();
  }
}
