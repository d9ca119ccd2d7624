package dev.tally.localstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.junit.jupiter.api.Test;

class ConnectWorkerTest {

  /** What the sink saw, in order. */
  static final List<String> SEEN = new CopyOnWriteArrayList<>();

  @Test
  void aConnectorOnTheClassPathReadsOnlyCommittedRecordsAndCanReadAgain() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(null, 0);
        ConnectWorker worker = ConnectWorker.start(broker.bootstrapServers(), null)) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic("in", 1, (short) 1))).all().get();
      }
      Properties props = new Properties();
      props.put("bootstrap.servers", broker.bootstrapServers());
      props.put("transactional.id", "test");
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props,
          new ByteArraySerializer(), new ByteArraySerializer())) {
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("in", "aborted".getBytes(StandardCharsets.UTF_8)));
        producer.abortTransaction();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("in", "committed".getBytes(StandardCharsets.UTF_8)));
        producer.commitTransaction();
      }

      worker.createConnector("recording sink", Map.of(
          "connector.class", RecordingSink.class.getName(), "topics", "in", "tasks.max", "1"));
      awaitSeen(1);
      assertEquals(List.of("committed"), SEEN);
      assertTrue(worker.connectorStatus("recording sink").contains("RUNNING"));

      Thread.sleep(1_500); // an offset flush
      worker.resetOffsets("recording sink");
      awaitSeen(2);
      assertEquals(List.of("committed", "committed"), SEEN);
    }
  }

  private static void awaitSeen(int count) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (SEEN.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(count, SEEN.size(), "records seen: " + SEEN);
  }

  /** A sink that remembers the values it gets. */
  public static final class RecordingSink extends SinkConnector {
    private Map<String, String> config;

    @Override
    public void start(Map<String, String> props) {
      config = props;
    }

    @Override
    public Class<? extends Task> taskClass() {
      return RecordingTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
      return List.of(config);
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
      return new ConfigDef();
    }

    @Override
    public String version() {
      return "test";
    }
  }

  /** The task of {@link RecordingSink}. */
  public static final class RecordingTask extends SinkTask {
    @Override
    public void start(Map<String, String> props) {
    }

    @Override
    public void put(Collection<SinkRecord> records) {
      List<String> values = new ArrayList<>();
      for (SinkRecord record : records) {
        values.add(new String((byte[]) record.value(), StandardCharsets.UTF_8));
      }
      SEEN.addAll(values);
    }

    @Override
    public void stop() {
    }

    @Override
    public String version() {
      return "test";
    }
  }
}
