package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.localstack.KafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the input stage has not processed, from the brokers' offsets: a partition whose consumer has
 * fetched everything is not idle while its records wait unprocessed.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class InputWatcherTest {

  @TempDir
  Path dir;

  @Test
  void unprocessedIsTheEndLessTheLaterOfTheNextAndTheCommittedOffsetWhileTheAnswerIsFresh() {
    InputWatcher.Ends ends = new InputWatcher.Ends(new long[] {10, 0, 12}, new long[] {4, 0, 12},
        1_000);
    assertEquals(6, InputWatcher.unprocessed(ends, 0, -1, 1_500), "nothing processed: from the start");
    assertEquals(3, InputWatcher.unprocessed(ends, 0, 7, 1_500));
    assertEquals(0, InputWatcher.unprocessed(ends, 0, 10, 1_500));
    assertEquals(0, InputWatcher.unprocessed(ends, 1, -1, 1_500), "an empty partition");
    assertEquals(0, InputWatcher.unprocessed(ends, 2, 11, 1_500), "the last record at 10, a "
        + "transaction marker at 11: the committed offset steps over it");
    assertEquals(-1, InputWatcher.unprocessed(ends, 0, 10, 4_001), "a stale answer");
    assertEquals(-1, InputWatcher.unprocessed(ends, 3, -1, 1_500), "a partition it has not seen");
    assertEquals(-1, InputWatcher.unprocessed(null, 0, 10, 1_500), "no answer yet");
  }

  @Test
  void readsTheEndsAndTheGroupsCommittedOffsetsFromTheBrokers() throws Exception {
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0);
        Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Topics.create(admin, new NewTopic("watched", 4, (short) 1));
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
          Map.of("bootstrap.servers", kafka.bootstrapServers()), new ByteArraySerializer(),
          new ByteArraySerializer())) {
        for (int i = 0; i < 10; i++) {
          producer.send(new ProducerRecord<>("watched", 0, null, new byte[] {(byte) i}));
        }
        for (int i = 0; i < 3; i++) {
          producer.send(new ProducerRecord<>("watched", 3, null, new byte[] {(byte) i}));
        }
      }
      try (InputWatcher watcher = new InputWatcher("watched", "watcher-test",
          Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers())),
          probe(kafka), 4, false)) {
        watcher.watch();
        awaitEquals(10, () -> watcher.unprocessed(0, -1), "no committed offset: from the first record");
        assertEquals(4, watcher.unprocessed(0, 6));
        assertEquals(0, watcher.unprocessed(1, -1), "an empty partition has nothing to process");

        admin.alterConsumerGroupOffsets("watcher-test",
            Map.of(new TopicPartition("watched", 0), new OffsetAndMetadata(7))).all().get();
        awaitEquals(3, () -> watcher.unprocessed(0, -1), "a task that processed nothing: from the "
            + "committed offset");
        assertEquals(0, watcher.unprocessed(0, 10));

        // transactions on partition 1: three records committed (offsets 0-2, marker 3), then two
        // aborted (4-5, marker 6). The end counts the markers and the aborted records, which no
        // task ever processes: after the last record, only the committed offset reaches the end
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
            "bootstrap.servers", kafka.bootstrapServers(), "transactional.id", "watcher-test-tx"),
            new ByteArraySerializer(), new ByteArraySerializer())) {
          producer.initTransactions();
          producer.beginTransaction();
          for (int i = 0; i < 3; i++) {
            producer.send(new ProducerRecord<>("watched", 1, null, new byte[] {(byte) i}));
          }
          producer.commitTransaction();
          producer.beginTransaction();
          for (int i = 0; i < 2; i++) {
            producer.send(new ProducerRecord<>("watched", 1, null, new byte[] {(byte) i}));
          }
          producer.flush();
          producer.abortTransaction();
        }
        awaitEquals(4, () -> watcher.unprocessed(1, 3), "the last record processed was at 2");
        admin.alterConsumerGroupOffsets("watcher-test",
            Map.of(new TopicPartition("watched", 1), new OffsetAndMetadata(7))).all().get();
        awaitEquals(0, () -> watcher.unprocessed(1, 3), "Kafka Streams committed its consumer's "
            + "position, past the markers");
        assertEquals(Long.valueOf(7), watcher.endOffset(new TopicPartition("watched", 1)));

        // partition 2: nothing but an aborted transaction. No task processes a record of it, so
        // Kafka Streams never commits it: the gap that stays is read, and holds nothing to process
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
            "bootstrap.servers", kafka.bootstrapServers(), "transactional.id", "watcher-test-tx2"),
            new ByteArraySerializer(), new ByteArraySerializer())) {
          producer.initTransactions();
          producer.beginTransaction();
          for (int i = 0; i < 4; i++) {
            producer.send(new ProducerRecord<>("watched", 2, null, new byte[] {(byte) i}));
          }
          producer.flush();
          producer.abortTransaction();
        }
        awaitEquals(0, () -> watcher.unprocessed(2, -1), "an aborted transaction only");
        assertEquals(3, watcher.unprocessed(3, -1), "a gap of records stays a gap, read or not");
        assertEquals(null, watcher.endOffset(new TopicPartition("other", 1)));
      }
    }
  }

  /**
   * The read of a gap that stayed can go past the answer's end, where records written since lie:
   * those records are still to be processed, whatever the read found before them.
   */
  @Test
  void aGapReadPastTheAnswersEndStopsAtTheFirstRecord() throws Exception {
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0);
        Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Topics.create(admin, new NewTopic("past", 1, (short) 1));
      // offsets 0-3 aborted, 4 its marker; then three records at 5-7
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
          "bootstrap.servers", kafka.bootstrapServers(), "transactional.id", "past-tx"),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        producer.initTransactions();
        producer.beginTransaction();
        for (int i = 0; i < 4; i++) {
          producer.send(new ProducerRecord<>("past", 0, null, new byte[] {(byte) i}));
        }
        producer.flush();
        producer.abortTransaction();
      }
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
          Map.of("bootstrap.servers", kafka.bootstrapServers()), new ByteArraySerializer(),
          new ByteArraySerializer())) {
        for (int i = 0; i < 3; i++) {
          producer.send(new ProducerRecord<>("past", 0, null, new byte[] {(byte) i}));
        }
      }
      try (InputWatcher watcher = new InputWatcher("past", "past-test",
          Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers())), probe(kafka), 1,
          false)) {
        long now = System.currentTimeMillis();
        // an answer from before the three records: its end is the marker's next offset
        InputWatcher.Ends old = new InputWatcher.Ends(new long[] {5}, new long[] {0}, now);
        watcher.take(old);
        watcher.take(old); // the input stage has not moved: the gap [0, 5) is read
        assertEquals(0, watcher.unprocessed(0, -1), "the aborted transaction holds nothing");
        watcher.take(new InputWatcher.Ends(new long[] {8}, new long[] {0}, now));
        assertEquals(3, watcher.unprocessed(0, -1), "the records after the old end");
      }
    }
  }

  /**
   * A stream thread asks for its partition's lag: the watcher finds the thread's main consumer, which
   * its client supplier created, through Kafka Streams' thread metadata.
   */
  @Test
  void aStreamThreadLearnsItsPartitionsLagFromItsOwnConsumer() throws Exception {
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0);
        Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Topics.create(admin, new NewTopic("lagged", 1, (short) 1));
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
          Map.of("bootstrap.servers", kafka.bootstrapServers()), new ByteArraySerializer(),
          new ByteArraySerializer())) {
        for (int i = 0; i < 3; i++) {
          producer.send(new ProducerRecord<>("lagged", 0, null, new byte[] {(byte) i}));
        }
      }
      List<Long> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      try (InputWatcher watcher = new InputWatcher("lagged", "lag-test",
          Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers())), probe(kafka), 1,
          false)) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("lagged", Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
            .process(() -> new Processor<byte[], byte[], Void, Void>() {
              @Override
              public void process(Record<byte[], byte[]> record) {
                seen.add(watcher.waiting(0));
              }
            });
        Properties config = new Properties();
        config.put("bootstrap.servers", kafka.bootstrapServers());
        config.put("application.id", "lag-test");
        config.put("state.dir", dir.resolve("streams").toString());
        try (KafkaStreams streams = new KafkaStreams(builder.build(), config,
            watcher.clientSupplier())) {
          watcher.attach(streams);
          streams.start();
          long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
          while (seen.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(50);
          }
        }
      }
      assertEquals(3, seen.size(), "records processed");
      assertTrue(seen.stream().allMatch(lag -> lag >= 0), "the lag was not known: " + seen);
    }
  }

  private static KafkaConsumer<byte[], byte[]> probe(KafkaBroker kafka) {
    return new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
        "isolation.level", "read_committed", "enable.auto.commit", false),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private static void awaitEquals(long expected, LongSupplier actual, String message)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (actual.getAsLong() != expected && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(expected, actual.getAsLong(), message);
  }
}
