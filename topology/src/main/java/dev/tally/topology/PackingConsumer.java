package dev.tally.topology;

import dev.tally.topology.internal.InputPack;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A stream thread's main consumer that hands Kafka Streams the events topic's records in
 * {@link InputPack}s: the records of one partition that one poll returned become one record (or a few,
 * of at most {@link InputPack#MAX_BYTES} each), which the input stage unpacks. Records of other topics
 * (the shuffles) pass as they are, and so does everything but {@link #poll}: positions, lags,
 * commits and the offsets a poll says are next ({@link ConsumerRecords#nextOffsets()}) are the
 * consumer's own.
 */
final class PackingConsumer extends KafkaConsumer<byte[], byte[]> {

  private final String topic;

  /**
   * @param config the configuration Kafka Streams gives its main consumer
   * @param topic the events topic, whose records are packed
   */
  PackingConsumer(Map<String, Object> config, String topic) {
    super(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.topic = topic;
  }

  @Override
  public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
    ConsumerRecords<byte[], byte[]> records = super.poll(timeout);
    if (records.isEmpty()) {
      return records;
    }
    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> packed = null;
    for (TopicPartition partition : records.partitions()) {
      if (partition.topic().equals(topic)) {
        if (packed == null) {
          packed = new HashMap<>();
        }
        packed.put(partition, InputPack.pack(records.records(partition)));
      }
    }
    if (packed == null) {
      return records;
    }
    for (TopicPartition partition : records.partitions()) {
      packed.putIfAbsent(partition, records.records(partition));
    }
    return new ConsumerRecords<>(packed, records.nextOffsets());
  }
}
