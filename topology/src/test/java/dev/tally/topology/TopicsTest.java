package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.localstack.KafkaBroker;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Topic creation and checks at start-up, on a real broker. */
class TopicsTest {

  private static KafkaBroker broker;
  private static Admin admin;

  @BeforeAll
  static void start() {
    broker = KafkaBroker.start(null, 0);
    admin = broker.admin();
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  @Test
  void missingTopicsAreCreatedAndAnExistingEventsTopicKeepsItsPartitions() throws Exception {
    admin.createTopics(List.of(new NewTopic("grown-events", 6, (short) 1))).all().get();
    int partitions = Topics.ensure(admin, config("grown-events", "r1", "d1", Map.of()));
    assertEquals(6, partitions);
    assertEquals(4, admin.describeTopics(List.of("r1")).allTopicNames().get().get("r1")
        .partitions().size());
    assertTrue(admin.listTopics().names().get().contains("d1"));
    assertEquals(6, Topics.ensure(admin, config("grown-events", "r1", "d1", Map.of())),
        "a second start finds everything in place");
  }

  @Test
  void aTopicWithTooLittleReplicationFailsStartUpWithAClearMessage() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Topics.ensure(admin,
        config("e2", "r2", "d2", Map.of(TallyConfig.TOPIC_REPLICATION, "3"))));
    assertTrue(e.getMessage().contains("e2") && e.getMessage().contains("replication"),
        e.getMessage());
  }

  @Test
  void aCompactedEventsTopicFailsStartUp() throws Exception {
    admin.createTopics(List.of(new NewTopic("compacted", Optional.of(1), Optional.empty())
        .configs(Map.of("cleanup.policy", "compact")))).all().get();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Topics.ensure(admin, config("compacted", "r3", "d3", Map.of())));
    assertTrue(e.getMessage().contains("compacted") && e.getMessage().contains("cleanup.policy"),
        e.getMessage());
  }

  @Test
  void aCreatedTopicIsServedByItsLeaderOnReturn() throws Exception {
    Topics.create(admin, new NewTopic("served", 8, (short) 1));
    // a ListOffsets answer comes from each partition's leader, as a produce request's would
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int p = 0; p < 8; p++) {
      latest.put(new TopicPartition("served", p), OffsetSpec.latest());
    }
    assertEquals(8, admin.listOffsets(latest).all().get(1, TimeUnit.SECONDS).size());
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Topics.create(admin, new NewTopic("served", 1, (short) 1)));
    assertTrue(e.getMessage().contains("served") && e.getMessage().contains("exists"),
        e.getMessage());
  }

  @Test
  void theSameTopicTwiceIsRefused() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Topics.ensure(admin, config("same", "same", "d4", Map.of())));
    assertTrue(e.getMessage().contains("must differ"), e.getMessage());
  }

  private static TallyConfig config(String events, String results, String deadLetters,
      Map<String, String> extra) {
    Map<String, String> values = new java.util.HashMap<>(Map.of(
        "bootstrap.servers", broker.bootstrapServers(),
        TallyConfig.EVENTS_TOPIC, events,
        TallyConfig.RESULTS_TOPIC, results,
        TallyConfig.DEAD_LETTER_TOPIC, deadLetters));
    values.putAll(extra);
    return new TallyConfig(values);
  }
}
