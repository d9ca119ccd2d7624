package dev.tally.topology.internal;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Partitions a shuffle: a record goes to the partition of its key (as Kafka's default partitioner would
 * put it), an {@link EventBatch} to the partition it was collected for (that of its users' names), and
 * a {@link Watermark} to every partition, since every downstream partition must hear every upstream
 * partition's clock.
 */
public final class WatermarkBroadcast<V> implements StreamPartitioner<byte[], V> {

  @Override
  public Optional<Set<Integer>> partitions(String topic, byte[] key, V value, int partitions) {
    if (value instanceof Watermark) {
      Set<Integer> all = new HashSet<>(partitions * 2);
      for (int i = 0; i < partitions; i++) {
        all.add(i);
      }
      return Optional.of(all);
    }
    if (value instanceof EventBatch batch) {
      if (batch.destination() >= partitions) {
        throw new IllegalStateException("an event batch for partition " + batch.destination()
            + " of " + topic + ", which has " + partitions);
      }
      return Optional.of(Set.of(batch.destination()));
    }
    return Optional.of(Set.of(partitionOf(key, partitions)));
  }

  /** The partition of {@code key} among {@code partitions}, as Kafka's default partitioner puts it. */
  public static int partitionOf(byte[] key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key)) % partitions;
  }
}
