package dev.tally.localstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A real in-process KRaft broker: partitions, plain and transactional produce/consume, restarts. */
class KafkaBrokerTest {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerTest.class);

  private static KafkaBroker kafka;

  @BeforeAll
  static void startBroker() {
    long start = System.nanoTime();
    kafka = KafkaBroker.start(null, 0);
    LOG.info("Broker start: {} ms", (System.nanoTime() - start) / 1_000_000);
  }

  @AfterAll
  static void stopBroker() {
    Path dir = kafka.directory();
    long start = System.nanoTime();
    kafka.close();
    LOG.info("Broker close: {} ms", (System.nanoTime() - start) / 1_000_000);
    assertFalse(Files.exists(dir), "temporary data directory kept");
    kafka.close(); // idempotent
  }

  @Test
  void producesAndConsumesOnATopicWithThreePartitions() throws Exception {
    createTopic("plain", 3);
    assertEquals(3, kafka.admin().describeTopics(List.of("plain")).allTopicNames().get().get("plain")
        .partitions().size());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig())) {
      for (int i = 0; i < 30; i++) {
        producer.send(new ProducerRecord<>("plain", "key-" + i, "value-" + i));
      }
      producer.flush();
    }
    List<ConsumerRecord<String, String>> records = consume("plain", "read_uncommitted", 30);
    assertEquals(30, records.size());
    Set<Integer> partitions = new HashSet<>();
    records.forEach(r -> partitions.add(r.partition()));
    assertEquals(Set.of(0, 1, 2), partitions);
  }

  @Test
  void aReadCommittedConsumerSeesCommittedTransactionsOnly() throws Exception {
    createTopic("transactional", 1);
    Properties config = producerConfig();
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tally-test-tx");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>("transactional", "k", "aborted"));
      producer.abortTransaction();
      producer.beginTransaction();
      for (int i = 0; i < 3; i++) {
        producer.send(new ProducerRecord<>("transactional", "k", "committed-" + i));
      }
      producer.commitTransaction();
    }
    List<String> values = new ArrayList<>();
    consume("transactional", "read_committed", 3).forEach(r -> values.add(r.value()));
    assertEquals(List.of("committed-0", "committed-1", "committed-2"), values);
  }

  @Test
  void aKeptDirectoryIsReusedByTheNextStart(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("kafka");
    long start = System.nanoTime();
    KafkaBroker first = KafkaBroker.start(dir, 0);
    try (first) {
      LOG.info("Later broker start in this JVM: {} ms", (System.nanoTime() - start) / 1_000_000);
      first.admin().createTopics(List.of(new NewTopic("survivor", 2, (short) 1))).all().get();
      assertSame(first.admin(), first.admin(), "one admin client per broker");
    }
    assertThrows(IllegalStateException.class, first::admin, "an admin client of a closed broker");
    assertTrue(Files.exists(dir.resolve("meta.properties")), "caller's directory not kept");
    start = System.nanoTime();
    try (KafkaBroker second = KafkaBroker.start(dir, 0)) {
      LOG.info("Restart on a kept directory: {} ms", (System.nanoTime() - start) / 1_000_000);
      assertTrue(second.admin().listTopics().names().get().contains("survivor"));
    }
  }

  @Test
  void listensOnTheGivenPortOnLoopback() throws Exception {
    int port = Ports.free();
    try (KafkaBroker fixed = KafkaBroker.start(null, port)) {
      assertEquals("127.0.0.1:" + port, fixed.bootstrapServers());
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      }
    }
  }

  private static void createTopic(String name, int partitions) throws Exception {
    kafka.admin().createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
  }

  private static Properties producerConfig() {
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return config;
  }

  private static List<ConsumerRecord<String, String>> consume(String topic, String isolation, int expected) {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + topic);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (records.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      // one more poll: nothing beyond what was expected may arrive
      consumer.poll(Duration.ofMillis(200)).forEach(records::add);
    }
    return records;
  }

  @Test
  void recordsDatedInThePastAreKept() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(null, 0)) {
      Admin admin = broker.admin();
      admin.createTopics(List.of(new NewTopic("old", 1,
          (short) 1))).all().get();
      ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "old");
      String retention = null;
      // a topic just created may not have reached the broker's metadata yet
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (retention == null) {
        try {
          retention = admin.describeConfigs(List.of(topic)).all().get().get(topic)
              .get("retention.ms").value();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
              || System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(50);
        }
      }
      assertEquals("-1", retention,
          "the demo's 2016 events would be deleted by time-based retention");
    }
  }
}
