package dev.tally.topology;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates Tally's topics at start-up when they are missing, and refuses to start on an existing topic
 * that does not fit. Kafka Streams creates and checks its own internal topics.
 *
 * <p>A topic is ready only once every partition's leader serves it ({@link #create}): the metadata
 * names a leader a moment before that broker has opened the partition, and an idempotent producer
 * whose first request meets NOT_LEADER_OR_FOLLOWER there while a later one is appended retries the
 * first for ever with OUT_OF_ORDER_SEQUENCE_NUMBER and loses its records when the delivery timeout
 * ends (KAFKA-15591). Everything that creates a topic and then writes to it at once goes through
 * {@link #create}.
 */
public final class Topics {

  private static final Logger LOG = LoggerFactory.getLogger(Topics.class);
  private static final Duration DESCRIBE_TIMEOUT = Duration.ofSeconds(30);
  private static final long SERVED_TIMEOUT_S = 30;

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
      awaitServed(admin, missing.stream().map(topic -> described.get(topic.name())).toList());
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

  /**
   * Creates the topics and waits until the leader of each of their partitions serves it, so that
   * the caller may write to them at once.
   *
   * @throws IllegalStateException naming the topics, when they cannot be created or are not served
   *     within {@value #SERVED_TIMEOUT_S} s
   */
  public static void create(Admin admin, NewTopic... topics) {
    List<String> names = Arrays.stream(topics).map(NewTopic::name).toList();
    try {
      admin.createTopics(List.of(topics)).all().get();
      awaitServed(admin, describe(admin, names).values());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics " + names, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create topics " + names + ": "
          + e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * Waits until the leader of every partition of the topics answers for it: a ListOffsets request,
   * like a produce request, goes to the leader, which refuses it until it has opened the partition.
   */
  private static void awaitServed(Admin admin, Collection<TopicDescription> topics)
      throws InterruptedException, ExecutionException {
    if (topics.isEmpty()) {
      return;
    }
    List<String> names = topics.stream().map(TopicDescription::name).toList();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SERVED_TIMEOUT_S);
    Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
    topics.forEach(topic -> topic.partitions().forEach(partition ->
        partitions.put(new TopicPartition(topic.name(), partition.partition()), OffsetSpec.latest())));
    while (true) {
      try {
        admin.listOffsets(partitions).all().get();
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException)) {
          throw e;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the leaders of topics " + names + " do not serve all "
              + "their partitions after " + SERVED_TIMEOUT_S + " s: " + e.getCause().getMessage(),
              e.getCause());
        }
        Thread.sleep(50);
      }
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
