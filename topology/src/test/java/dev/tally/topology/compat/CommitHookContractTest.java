package dev.tally.topology.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.localstack.KafkaBroker;
import dev.tally.topology.RecordingProducer;
import dev.tally.topology.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link CommitHook} relies on in Kafka Streams, pinned against a real broker under
 * exactly_once_v2: in every commit of a task that processed records, the hook runs before the task's
 * input offsets are sent to the transaction, and what it forwards or writes to a logged store is sent
 * by the same producer before those offsets and before the transaction commits. A Kafka upgrade that
 * moves the hook after the offsets, or stops calling it, fails here.
 *
 * <p>The probe processor buffers the offsets it processes and, in the hook, forwards the last one and
 * writes it to a logged store; a producer that records its calls shows in which transaction each
 * send and the offsets went.
 */
class CommitHookContractTest {

  private static final String IN = "contract-in";
  private static final String OUT = "contract-out";
  private static final String HOOK = "contract-hook";
  private static final String LOG = "contract-log";
  private static final int RECORDS = 300;

  @TempDir
  Path dir;

  @Test
  void theBuilderRefusesACacheAndAChangelog() {
    assertFalse(CommitHook.builder("hook").loggingEnabled());
    assertThrows(UnsupportedOperationException.class,
        () -> CommitHook.builder("hook").withLoggingEnabled(Map.of()));
    assertThrows(UnsupportedOperationException.class,
        () -> CommitHook.builder("hook").withCachingEnabled());
    assertEquals("hook", CommitHook.builder("hook").withLoggingDisabled().build().name());
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void theHookRunsInsideEachCommitBeforeTheOffsetsAndWhatItSendsSharesTheirTransaction()
      throws Exception {
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0);
        Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Topics.create(admin, new NewTopic(IN, 1, (short) 1), new NewTopic(OUT, 1, (short) 1));
      List<String> calls = Collections.synchronizedList(new ArrayList<>());
      String changelog = "contract-app-" + LOG + "-changelog";

      StreamsBuilder builder = new StreamsBuilder();
      builder.addStateStore(CommitHook.builder(HOOK));
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(LOG),
          Serdes.Bytes(), Serdes.Long()).withCachingDisabled());
      builder.stream(IN, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
          .process(Probe::new, HOOK, LOG)
          .to(OUT, Produced.with(Serdes.ByteArray(), Serdes.Long()));
      Properties props = new Properties();
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, "contract-app");
      props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
      props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
      props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
      props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
      props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);

      try (KafkaStreams streams = new KafkaStreams(builder.build(), props,
          new RecordingSupplier(calls, changelog))) {
        streams.start();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
            Map.of("bootstrap.servers", kafka.bootstrapServers()), new ByteArraySerializer(),
            new ByteArraySerializer())) {
          for (int i = 0; i < RECORDS; i++) {
            producer.send(new ProducerRecord<>(IN, 0, null, new byte[] {(byte) i}));
            if (i % 30 == 29) {
              producer.flush();
              Thread.sleep(250); // several commits, each with records to commit
            }
          }
        }
        long deadline = System.currentTimeMillis() + 60_000;
        while (!calls.contains("offsets " + RECORDS) && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
        }
      }

      // split the producer's calls into transactions
      List<List<String>> transactions = new ArrayList<>();
      List<String> current = new ArrayList<>();
      synchronized (calls) {
        for (String call : calls) {
          if (call.equals("commit")) {
            transactions.add(current);
            current = new ArrayList<>();
          } else {
            current.add(call);
          }
        }
      }
      int hooked = 0;
      for (List<String> transaction : transactions) {
        int out = indexOfPrefix(transaction, "send out ");
        if (out < 0) {
          continue;
        }
        hooked++;
        long last = Long.parseLong(transaction.get(out).substring("send out ".length()));
        int log = transaction.indexOf("send log " + last);
        int offsets = transaction.indexOf("offsets " + (last + 1));
        assertTrue(log >= 0, "the hook's store write is not in the transaction of its forward: "
            + transaction);
        assertTrue(offsets > out && offsets > log, "the offsets after the hook's last record are "
            + "not sent after what the hook sent, in the same transaction: " + transaction);
      }
      assertTrue(hooked >= 3, "the hook ran in " + hooked + " commits: " + transactions);

      // and a read_committed reader sees the hook's records up to the last input record
      try (KafkaConsumer<byte[], Long> reader = new KafkaConsumer<>(Map.of(
          "bootstrap.servers", kafka.bootstrapServers(), "isolation.level", "read_committed",
          "auto.offset.reset", "earliest", "group.id", "contract-reader"),
          new ByteArrayDeserializer(), new LongDeserializer())) {
        reader.subscribe(List.of(OUT));
        long last = -1;
        long deadline = System.currentTimeMillis() + 30_000;
        while (last < RECORDS - 1 && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<byte[], Long> record : reader.poll(Duration.ofMillis(200))) {
            assertTrue(record.value() > last, "out of order: " + record.value() + " after " + last);
            last = record.value();
          }
        }
        assertEquals(RECORDS - 1, last, "the last committed forward");
      }
    }
  }

  private static int indexOfPrefix(List<String> calls, String prefix) {
    for (int i = 0; i < calls.size(); i++) {
      if (calls.get(i).startsWith(prefix)) {
        return i;
      }
    }
    return -1;
  }

  /** Buffers offsets; in the hook, forwards the last one and writes it to the logged store. */
  private static final class Probe implements Processor<byte[], byte[], byte[], Long> {
    private CommitHook hook;
    private KeyValueStore<Bytes, Long> log;
    private ProcessorContext<byte[], Long> context;
    private long last = -1;
    private boolean pending;

    @Override
    public void init(ProcessorContext<byte[], Long> context) {
      this.context = context;
      this.log = context.getStateStore(LOG);
      this.hook = context.getStateStore(HOOK);
      hook.beforeCommit(() -> {
        if (pending) {
          pending = false;
          log.put(Bytes.wrap(new byte[] {1}), last);
          this.context.forward(new Record<>(null, last, 0L));
        }
      });
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      long offset = context.recordMetadata().orElseThrow().offset();
      hook.lastRecord(IN, 0, offset, record.timestamp());
      last = offset;
      pending = true;
    }
  }

  /** Real clients; the producer notes its sends, offsets and commits in order. */
  private static final class RecordingSupplier implements KafkaClientSupplier {
    private final List<String> calls;
    private final String changelog;

    RecordingSupplier(List<String> calls, String changelog) {
      this.calls = calls;
      this.changelog = changelog;
    }

    @Override
    public Producer<byte[], byte[]> getProducer(Map<String, Object> config) {
      return RecordingProducer.create(config, this::note);
    }

    private void note(String method, Object[] args) {
      switch (method) {
        case "send" -> {
          ProducerRecord<?, ?> record = (ProducerRecord<?, ?>) args[0];
          if (record.topic().equals(OUT)) {
            calls.add("send out " + new LongDeserializer().deserialize(OUT, (byte[]) record.value()));
          } else if (record.topic().equals(changelog)) {
            calls.add("send log " + new LongDeserializer().deserialize(OUT, (byte[]) record.value()));
          }
        }
        case "sendOffsetsToTransaction" -> {
          @SuppressWarnings("unchecked")
          Map<TopicPartition, OffsetAndMetadata> offsets =
              (Map<TopicPartition, OffsetAndMetadata>) args[0];
          OffsetAndMetadata in = offsets.get(new TopicPartition(IN, 0));
          if (in != null) {
            calls.add("offsets " + in.offset());
          }
        }
        case "commitTransaction" -> calls.add("commit");
        default -> {
        }
      }
    }

    @Override
    public Admin getAdmin(Map<String, Object> config) {
      return Admin.create(config);
    }

    @Override
    public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
      return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public Consumer<byte[], byte[]> getRestoreConsumer(Map<String, Object> config) {
      return getConsumer(config);
    }

    @Override
    public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
      return getConsumer(config);
    }
  }
}
