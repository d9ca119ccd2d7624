package dev.tally.topology;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates Tally's topics at start-up when they are missing, and refuses to start on an existing topic
 * that does not fit. Kafka Streams creates and checks its own internal topics.
 */
public final class Topics {

  private static final Logger LOG = LoggerFactory.getLogger(Topics.class);
  private static final Duration DESCRIBE_TIMEOUT = Duration.ofSeconds(30);

  private Topics() {
  }

  /**
   * Makes sure the events, results, users, ranges and dead-letter topics exist.
   *
   * @return the partition count of the events topic
   * @throws IllegalStateException naming the topic and the problem, when one does not fit
   */
  public static int ensure(Admin admin, TallyConfig config) {
    int partitions = config.getInt(TallyConfig.TOPIC_PARTITIONS);
    short replication = config.getShort(TallyConfig.TOPIC_REPLICATION);
    List<String> names = new ArrayList<>(List.of(config.getString(TallyConfig.EVENTS_TOPIC),
        config.getString(TallyConfig.RESULTS_TOPIC), config.getString(TallyConfig.DEAD_LETTER_TOPIC)));
    for (String optional : List.of(TallyConfig.USERS_TOPIC, TallyConfig.RANGES_TOPIC)) {
      if (!config.getString(optional).isEmpty()) {
        names.add(config.getString(optional));
      }
    }
    if (Set.copyOf(names).size() != names.size()) {
      throw new IllegalStateException("the events, results, users, ranges and dead-letter topics "
          + "must differ: " + names);
    }
    try {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> missing = new ArrayList<>();
      for (String name : names) {
        if (!existing.contains(name)) {
          missing.add(new NewTopic(name, Optional.of(partitions),
              replication == -1 ? Optional.empty() : Optional.of(replication)));
        }
      }
      for (NewTopic topic : missing) {
        try {
          admin.createTopics(List.of(topic)).all().get();
          LOG.info("Created topic {} with {} partitions", topic.name(), partitions);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + topic.name() + ": "
                + e.getCause().getMessage(), e.getCause());
          }
        }
      }
      Map<String, TopicDescription> described = describe(admin, names);
      for (TopicDescription topic : described.values()) {
        int actual = topic.partitions().get(0).replicas().size();
        if (replication > 0 && actual < replication) {
          throw new IllegalStateException("topic " + topic.name() + " exists with replication factor "
              + actual + ", but " + TallyConfig.TOPIC_REPLICATION + " is " + replication
              + ": raise its replication or lower the setting");
        }
      }
      String events = config.getString(TallyConfig.EVENTS_TOPIC);
      ConfigResource eventsResource = new ConfigResource(ConfigResource.Type.TOPIC, events);
      String cleanup = admin.describeConfigs(List.of(eventsResource)).all().get()
          .get(eventsResource).get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
      if (cleanup.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
        throw new IllegalStateException("topic " + events + " has cleanup.policy=" + cleanup
            + ": compaction would drop events of a user that share a key; use delete");
      }
      return described.get(events).partitions().size();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking topics", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot check topics " + names + " on "
          + config.getList("bootstrap.servers") + ": " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** Describes the topics, waiting out the moment after creation when brokers do not know them yet. */
  private static Map<String, TopicDescription> describe(Admin admin, List<String> names)
      throws InterruptedException, ExecutionException {
    long deadline = System.nanoTime() + DESCRIBE_TIMEOUT.toNanos();
    while (true) {
      try {
        return admin.describeTopics(names).allTopicNames().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }
}
