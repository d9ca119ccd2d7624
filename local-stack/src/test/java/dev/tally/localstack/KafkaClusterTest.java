package dev.tally.localstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three KRaft nodes as separate processes: topics are replicated three times with min ISR 2, acks=all
 * writes go on while one node is killed with SIGKILL, and the node rejoins after its restart.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KafkaClusterTest {

  @TempDir
  Path dir;

  @Test
  void writesSurviveTheKillOfOneNodeAndTheNodeRejoins() throws Exception {
    try (KafkaCluster cluster = KafkaCluster.start(dir, 3);
        Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
      assertEquals(3, admin.describeCluster().nodes().get().size());
      admin.createTopics(List.of(new NewTopic("t", 2, (short) 3))).all().get();
      TopicDescription topic = admin.describeTopics(List.of("t")).allTopicNames().get().get("t");
      for (TopicPartitionInfo partition : topic.partitions()) {
        assertEquals(3, partition.replicas().size());
      }
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "t");
      assertEquals("2", admin.describeConfigs(List.of(resource)).all().get().get(resource)
          .get("min.insync.replicas").value());

      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
          ProducerConfig.ACKS_CONFIG, "all",
          ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000"),
          new StringSerializer(), new StringSerializer())) {
        for (int i = 0; i < 100; i++) {
          producer.send(new ProducerRecord<>("t", "k" + i, "before-" + i)).get();
        }
        int leader = topic.partitions().get(0).leader().id();
        cluster.kill(leader);
        assertFalse(cluster.isRunning(leader));
        for (int i = 0; i < 100; i++) {
          producer.send(new ProducerRecord<>("t", "k" + i, "during-" + i)).get();
        }
        cluster.restart(leader);
        assertTrue(cluster.isRunning(leader));
        for (int i = 0; i < 100; i++) {
          producer.send(new ProducerRecord<>("t", "k" + i, "after-" + i)).get();
        }
      }
      assertEquals(300, readAll(cluster).size());
    }
  }

  private static List<String> readAll(KafkaCluster cluster) {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "reader",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of("t"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (values.size() < 300 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          values.add(record.value());
        }
      }
    }
    return values;
  }
}
