package dev.tally.connect.redis;

import static dev.tally.connect.redis.Minutes.fin;
import static dev.tally.connect.redis.Minutes.live;
import static dev.tally.connect.redis.Minutes.minuteAgo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.localstack.ConnectWorker;
import dev.tally.localstack.KafkaBroker;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteUsers;
import dev.tally.testkit.RedisProcess;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;

/**
 * End to end in a real (in-process) Connect worker, with the shipped configuration and ACL
 * users: the worker finds the plugin through its service-loader entry, mirrors the results and
 * users topics (the users as HyperLogLogs a PFCOUNT reads within Redis's error), sends a
 * bad record to the dead-letter topic, and, after Redis loses everything, the documented rebuild
 * (stop, {@code DELETE /connectors/NAME/offsets}, resume) brings back exactly the same state.
 */
final class ConnectRebuildTest {

  private static final String NAME = "tally-redis-mirror";
  private static final String USERS_TOPIC = "minute-users";
  private static final Path DIR = Path.of("target", "connect-rebuild-" + System.nanoTime());

  @Test
  void theShippedConfigurationMirrorsTheTopicAndAResetOfItsOffsetsRebuildsIt() throws Exception {
    try (KafkaBroker kafka = KafkaBroker.start(null, 0);
        AclRedis redis = new AclRedis(DIR.resolve("redis"));
        UnifiedJedis admin = redis.admin()) {
      try (Admin topics = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        topics.createTopics(List.of(new NewTopic(Minutes.TOPIC, 2, (short) 1),
            new NewTopic(USERS_TOPIC, 2, (short) 1))).all().get();
      }
      // the minutes once: the wall clock may pass a minute boundary during the test
      long thisMinute = minuteAgo(0);
      long[] minutesAgo = new long[5];
      for (int m = 0; m < minutesAgo.length; m++) {
        minutesAgo[m] = thisMinute - m * 60_000L;
      }
      List<MinuteCount> counts = new ArrayList<>();
      for (int m = 4; m >= 1; m--) {
        long ws = minutesAgo[m];
        counts.add(live("live", "rails-5xx", ws, m, 1, 20));
        counts.add(fin("live", "rails-5xx", ws, m + 1, 1));
        counts.add(fin("automate", "browser_error", ws, 2 * m, m));
        counts.add(live("live", "rails-5xx", ws, m, 1, 40));
      }
      produce(kafka, counts, true);
      // the users topic: one window's users from two aggregating partitions, 300 in all
      List<Long> first = new ArrayList<>();
      List<Long> second = new ArrayList<>();
      for (long i = 0; i < 300; i++) {
        (i % 2 == 0 ? first : second).add(i * 0x9E3779B97F4A7C15L);
      }
      produceUsers(kafka, List.of(
          Minutes.users("live", "rails-5xx", minutesAgo[2], 0, first),
          Minutes.users("live", "rails-5xx", minutesAgo[2], 1, second)));
      String minuteUsers = "tally:uniques:{live:rails-5xx}:m:" + minutesAgo[2];

      Map<String, String> config = shippedConfig();
      config.put(RedisSinkConfig.HOSTS, redis.hostPort());
      try (ConnectWorker worker = ConnectWorker.start(kafka.bootstrapServers(), DIR.resolve("worker"))) {
        worker.createConnector(NAME, config);
        // 2 series x 4 minutes, 2 indexes, the catalog, 2 rankings x 4 minutes; the minute's, hour's
        // and day's HyperLogLogs and the hour's and day's series sets
        await(() -> MirrorSnapshot.of(List.of(admin), "tally:").size() == 8 + 2 + 1 + 8 + 5
            && Math.abs(admin.pfcount(minuteUsers) - 300) <= 6
            && "5".equals(admin.hget("tally:minute:{live:rails-5xx}:" + minutesAgo[4], "count"))
            && "3".equals(admin.hget("tally:minute:{live:rails-5xx}:" + minutesAgo[2], "count")),
            () -> MirrorSnapshot.of(List.of(admin), "tally:").toString());
        Map<String, String> before = MirrorSnapshot.of(List.of(admin), "tally:");
        // the late live updates lost to the finals
        assertEquals("1", admin.hget("tally:minute:{live:rails-5xx}:" + minutesAgo[1], "is_final"));

        ConsumerRecord<byte[], byte[]> dead = deadLetter(kafka);
        assertEquals("not a MinuteCount", new String(dead.value(), StandardCharsets.UTF_8));
        Header cause = dead.headers().lastHeader("__connect.errors.exception.message");
        assertTrue(cause != null && new String(cause.value(), StandardCharsets.UTF_8)
            .contains("not an Avro single-object MinuteCount"));
        assertTrue(worker.connectorStatus(NAME).contains("\"state\":\"RUNNING\""));

        admin.flushAll();
        worker.resetOffsets(NAME);
        await(() -> before.equals(MirrorSnapshot.of(List.of(admin), "tally:")),
            () -> "expected " + before + " but was " + MirrorSnapshot.of(List.of(admin), "tally:"));
      }
    }
  }

  /** connectors/config/redis-sink.properties, with the DLQ on a one-broker cluster. */
  static Map<String, String> shippedConfig() throws Exception {
    Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(Path.of("..", "config", "redis-sink.properties"))) {
      properties.load(in);
    }
    Map<String, String> config = new HashMap<>();
    properties.forEach((k, v) -> config.put(k.toString(), v.toString()));
    return config;
  }

  private static void produce(KafkaBroker kafka, List<MinuteCount> counts, boolean withBadRecord)
      throws Exception {
    Map<String, Object> settings = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (MinuteCount count : counts) {
        // keyed by series and minute, as Tally does: one minute's updates stay in order
        producer.send(new ProducerRecord<>(Minutes.TOPIC, Minutes.bytes(Minutes.key(count)),
            Minutes.bytes(count))).get();
      }
      if (withBadRecord) {
        producer.send(new ProducerRecord<>(Minutes.TOPIC, null,
            "not a MinuteCount".getBytes(StandardCharsets.UTF_8))).get();
      }
    }
  }

  private static void produceUsers(KafkaBroker kafka, List<MinuteUsers> users) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (MinuteUsers value : users) {
        producer.send(new ProducerRecord<>(USERS_TOPIC, value.getPartition(), null,
            Minutes.bytes(value))).get();
      }
    }
  }

  private static ConsumerRecord<byte[], byte[]> deadLetter(KafkaBroker kafka) {
    Map<String, Object> settings = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "dlq-reader", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.subscribe(List.of("minute-counts-redis-dlq"));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          return record;
        }
      }
    }
    throw new AssertionError("nothing in the dead-letter topic");
  }

  private static void await(BooleanSupplier condition, java.util.function.Supplier<String> state) {
    long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out: " + state.get());
      }
      RedisProcess.sleep(100);
    }
  }
}
