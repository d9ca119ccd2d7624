package dev.tally.topology.wire;

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
public final class ShufflePartitioner<V> implements StreamPartitioner<byte[], V> {

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

  /**
   * The partition of the key that is {@code length} bytes of {@code array} from {@code from}, as
   * {@link #partitionOf(byte[], int)} would put a copy of it: no copy is made.
   */
  public static int partitionOf(byte[] array, int from, int length, int partitions) {
    return Utils.toPositive(murmur2(array, from, length)) % partitions;
  }

  /** Kafka's {@link Utils#murmur2(byte[])}, over a range of an array. */
  static int murmur2(byte[] array, int from, int length) {
    final int m = 0x5bd1e995;
    final int r = 24;
    int h = 0x9747b28c ^ length;
    int whole = from + (length & ~3);
    for (int i = from; i < whole; i += 4) {
      int k = (array[i] & 0xff) + ((array[i + 1] & 0xff) << 8) + ((array[i + 2] & 0xff) << 16)
          + ((array[i + 3] & 0xff) << 24);
      k *= m;
      k ^= k >>> r;
      k *= m;
      h *= m;
      h ^= k;
    }
    switch (length & 3) {
      case 3:
        h ^= (array[whole + 2] & 0xff) << 16;
        // fall through
      case 2:
        h ^= (array[whole + 1] & 0xff) << 8;
        // fall through
      case 1:
        h ^= array[whole] & 0xff;
        h *= m;
        break;
      default:
    }
    h ^= h >>> 13;
    h *= m;
    h ^= h >>> 15;
    return h;
  }
}
