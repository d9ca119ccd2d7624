package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.localstack.KafkaBroker;
import dev.tally.topology.wire.InputPack;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link PackingConsumer} relies on in Kafka Streams, pinned against a real broker under
 * exactly_once_v2: a task commits the offset of the first record it has not processed (its queue's
 * head, or the next offset its consumer gave once the queue is empty), never the offset after the
 * last record it processed. A pack's offset is its first record's, so under the other rule a commit
 * after a pack would point into it, and a restart would count the rest of it again. A Kafka upgrade
 * that changes the rule fails here, not in production.
 *
 * <p>A backlog of {@value #RECORDS} records of {@value #VALUE_BYTES} bytes comes in packs of about
 * 16 records, several packs a poll, and the task is slow enough that it commits with packs still
 * queued (the head's offset) as well as with none (the consumer's next offset).
 */
class PackingConsumerContractTest {

  private static final String IN = "packing-in";
  private static final int RECORDS = 600;
  private static final int VALUE_BYTES = 4096;

  @TempDir
  Path dir;

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void everyCommittedOffsetIsTheFirstOfAPackNotProcessedYet() throws Exception {
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0);
        Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Topics.create(admin, new NewTopic(IN, 1, (short) 1));
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
          Map.of("bootstrap.servers", kafka.bootstrapServers()), new ByteArraySerializer(),
          new ByteArraySerializer())) {
        for (int i = 0; i < RECORDS; i++) {
          producer.send(new ProducerRecord<>(IN, 0, null, new byte[VALUE_BYTES]));
        }
      }
      // per pack: its first record's offset and its record count; the offsets each commit sent
      List<long[]> packs = Collections.synchronizedList(new ArrayList<>());
      List<Long> unpacked = Collections.synchronizedList(new ArrayList<>());
      List<Long> committed = Collections.synchronizedList(new ArrayList<>());

      StreamsBuilder builder = new StreamsBuilder();
      builder.stream(IN, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
          .process(() -> new Unpack(packs, unpacked));
      Properties props = new Properties();
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, "packing-contract");
      props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
      props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 20);
      props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
      props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
      props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
      try (KafkaStreams streams = new KafkaStreams(builder.build(), props,
          new PackingSupplier(committed))) {
        streams.start();
        long deadline = System.currentTimeMillis() + 90_000;
        while (!committed.contains((long) RECORDS) && System.currentTimeMillis() < deadline) {
          Thread.sleep(50);
        }
      }

      List<Long> expected = new ArrayList<>();
      for (long offset = 0; offset < RECORDS; offset++) {
        expected.add(offset);
      }
      assertEquals(expected, unpacked, "every record once, in order, from the packs");
      TreeSet<Long> boundaries = new TreeSet<>();
      boolean severalInOne = false;
      synchronized (packs) {
        for (long[] pack : packs) {
          boundaries.add(pack[0]);
          severalInOne |= pack[1] > 1;
        }
      }
      boundaries.add((long) RECORDS);
      assertTrue(packs.size() >= 20, packs.size() + " packs: too few to be a test");
      assertTrue(severalInOne, "no pack held more than one record: not a test");
      List<Long> commits;
      synchronized (committed) {
        commits = new ArrayList<>(committed);
      }
      assertTrue(commits.stream().filter(offset -> offset < RECORDS).count() >= 3,
          "too few commits before the end to be a test: " + commits);
      for (long offset : commits) {
        assertTrue(boundaries.contains(offset), "a commit sent offset " + offset + ", inside a "
            + "pack (pack starts: " + boundaries + "): either Kafka Streams no longer commits the "
            + "first record it has not processed, or a pack no longer carries its first record's "
            + "offset; either way a restart would lose or repeat records");
      }
      assertEquals((long) RECORDS, commits.get(commits.size() - 1), "the last commit: " + commits);
    }
  }

  /** Takes the packs apart; slow enough per pack that commits fall between them. */
  private static final class Unpack implements Processor<byte[], byte[], Void, Void> {
    private final List<long[]> packs;
    private final List<Long> unpacked;
    private final InputPack.Reader reader = new InputPack.Reader();

    Unpack(List<long[]> packs, List<Long> unpacked) {
      this.packs = packs;
      this.unpacked = unpacked;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      long first = -1;
      int count = 0;
      for (reader.reset(record.value()); reader.next(); count++) {
        first = count == 0 ? reader.offset() : first;
        unpacked.add(reader.offset());
      }
      packs.add(new long[] {first, count});
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Packing main consumers, as Tally's; the producer notes the input offsets of each commit. */
  private static final class PackingSupplier implements KafkaClientSupplier {
    private final List<Long> committed;

    PackingSupplier(List<Long> committed) {
      this.committed = committed;
    }

    @Override
    public Producer<byte[], byte[]> getProducer(Map<String, Object> config) {
      return RecordingProducer.create(config, (method, args) -> {
        if (method.equals("sendOffsetsToTransaction")) {
          @SuppressWarnings("unchecked")
          Map<TopicPartition, OffsetAndMetadata> offsets =
              (Map<TopicPartition, OffsetAndMetadata>) args[0];
          OffsetAndMetadata in = offsets.get(new TopicPartition(IN, 0));
          if (in != null) {
            committed.add(in.offset());
          }
        }
      });
    }

    @Override
    public Admin getAdmin(Map<String, Object> config) {
      return Admin.create(config);
    }

    @Override
    public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
      return new PackingConsumer(config, IN);
    }

    @Override
    public Consumer<byte[], byte[]> getRestoreConsumer(Map<String, Object> config) {
      return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
      return getRestoreConsumer(config);
    }
  }
}
