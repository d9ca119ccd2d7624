package dev.tally.topology;

import dev.tally.topology.time.InputState;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the events topic for {@link InputState}: how many records wait on each partition, how many
 * the input stage has not processed, and how many partitions the topic has (the last two asked of the
 * brokers every {@value #REFRESH_EVERY_MS} ms, in the background).
 *
 * <p>Waiting records come from the stream thread's own main consumer ({@link Consumer#currentLag}:
 * the last stable offset of its latest fetch less the position its polls have reached), which this
 * class creates as Kafka Streams' {@link #clientSupplier() client supplier} and finds again through
 * {@link KafkaStreams#metadataForLocalThreads()}, which names each stream thread's main consumer.
 * The input stage only asks on its stream thread, which owns the consumer, so
 * the answer is as fresh as the thread's last poll: the end of a backlog is seen with its last
 * records, not one refresh later.
 *
 * <p>Unprocessed records come from the brokers themselves: each partition's end offset (read
 * committed, the last stable offset) against the later of the offset after the last record the input
 * stage processed and the group's committed offset (the partition's first offset where it has none).
 * The committed offset is what accounts for transaction markers and aborted records, which take
 * offsets but are never processed: Kafka Streams commits its consumer's position past them once it
 * has processed every record it fetched. Consumer lag alone cannot tell: records that the consumer
 * handed to Kafka Streams but that its task has not processed count as fetched, and so do those of
 * a partition that is not being fetched at all.
 *
 * <p>Kafka Streams commits a partition only once its task has processed a record of it, so a
 * partition that has had nothing but aborted transactions since its task started keeps a committed
 * offset below its end for ever. Where the input stage has not moved on a partition between two
 * answers while its end lies further, a read_committed consumer of this class's own (no group) reads
 * the gap: the stretch that holds no record a task could process counts as processed.
 */
final class InputWatcher implements InputState, AutoCloseable {

  private static final long REFRESH_EVERY_MS = 1_000;
  /** End offsets older than this are not trusted: no partition is drained on them. */
  private static final long ENDS_FRESH_MS = 3 * REFRESH_EVERY_MS;
  /** How long a stream thread whose main consumer was not found waits before it is looked up again. */
  private static final long LOOKUP_AGAIN_MS = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(InputWatcher.class);

  private final String topic;
  private final String groupId;
  private final Admin admin;
  /** Reads the gaps that stay (only the refresher's thread uses it). */
  private final Consumer<byte[], byte[]> probe;
  /** Per partition, the offset after the last record an input task here said it processed. */
  private final Map<Integer, Long> reported = new ConcurrentHashMap<>();
  /** Per partition, offsets [from, to) known to hold no record a task could process. */
  private final Map<Integer, long[]> invisible = new ConcurrentHashMap<>();
  /** Per partition, where the input stage stood at the last answer (only the refresher's thread). */
  private final Map<Integer, Long> lastProcessed = new HashMap<>();
  /** Main consumers by client id. */
  private final Map<String, Consumer<byte[], byte[]>> consumers = new ConcurrentHashMap<>();
  /** Main consumers by the name of their stream thread, as Kafka Streams' metadata pairs them. */
  private final Map<String, Consumer<byte[], byte[]>> byThread = new ConcurrentHashMap<>();
  /** Stream threads whose main consumer was not found, and when they were looked up. */
  private final Map<String, Long> notFound = new ConcurrentHashMap<>();
  private volatile KafkaStreams streams;
  private volatile int partitions;
  private volatile Ends ends;
  /** The last refresh failed (only the refresher's thread reads and writes it). */
  private boolean failing;
  private final boolean packed;
  private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
      runnable -> {
        Thread thread = new Thread(runnable, "tally-partition-count");
        thread.setDaemon(true);
        return thread;
      });

  /**
   * @param topic the events topic
   * @param groupId the application's consumer group (its {@code application.id})
   * @param admin asks the brokers for the topic's partition count and offsets; closed by
   *     {@link #close()}
   * @param probe a read_committed consumer with no group, to read gaps that stay; closed by
   *     {@link #close()}
   * @param partitions the partition count found at start-up
   * @param packed whether the main consumers hand the events topic's records over in packs
   *     ({@link PackingConsumer})
   */
  InputWatcher(String topic, String groupId, Admin admin, Consumer<byte[], byte[]> probe,
      int partitions, boolean packed) {
    this.topic = topic;
    this.groupId = groupId;
    this.admin = admin;
    this.probe = probe;
    this.partitions = partitions;
    this.packed = packed;
  }

  /**
   * The application's Kafka clients, as Kafka Streams' default supplier makes them (byte-array
   * serialisers), but for main consumers that {@linkplain PackingConsumer pack} the events topic's
   * records if so configured; the main consumers are remembered by client id. It implements the
   * public {@link KafkaClientSupplier} rather than extending Kafka Streams' internal default.
   */
  KafkaClientSupplier clientSupplier() {
    return new KafkaClientSupplier() {
      @Override
      public Admin getAdmin(Map<String, Object> config) {
        return Admin.create(config);
      }

      @Override
      public Producer<byte[], byte[]> getProducer(Map<String, Object> config) {
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
      }

      @Override
      public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
        Consumer<byte[], byte[]> consumer = packed ? new PackingConsumer(config, topic)
            : plainConsumer(config);
        consumers.put(String.valueOf(config.get(ConsumerConfig.CLIENT_ID_CONFIG)), consumer);
        return consumer;
      }

      @Override
      public Consumer<byte[], byte[]> getRestoreConsumer(Map<String, Object> config) {
        return plainConsumer(config);
      }

      @Override
      public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
        return plainConsumer(config);
      }
    };
  }

  private static Consumer<byte[], byte[]> plainConsumer(Map<String, Object> config) {
    return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Starts asking for the partition count and offsets. */
  void watch() {
    refresher.scheduleWithFixedDelay(this::refresh, 0, REFRESH_EVERY_MS, TimeUnit.MILLISECONDS);
  }

  private void refresh() {
    try {
      int now = admin.describeTopics(List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS)
          .get(topic).partitions().size();
      if (now != partitions) {
        LOG.info("Topic {} has {} partitions now (was {})", topic, now, partitions);
        partitions = now;
      }
      take(readEnds(now));
      if (failing) {
        failing = false;
        LOG.info("The brokers answer again with the offsets of {}", topic);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      if (!failing) {
        failing = true;
        LOG.warn("Cannot ask the brokers for the partitions and offsets of {} (group {}): until they "
            + "answer, no partition of it counts as drained, and windows close with traffic only: {}",
            topic, groupId, e.toString());
      }
    }
  }

  /** Takes the brokers' answer: reads the gaps that stayed, then answers by it. */
  void take(Ends answer) {
    try {
      probeGaps(answer);
    } catch (RuntimeException e) {
      LOG.debug("Cannot read the gaps of {} that stayed: {}", topic, e.toString());
    }
    ends = answer;
  }

  /** Every partition's end and committed offsets (its first offset where the group has none). */
  private Ends readEnds(int count) throws InterruptedException, ExecutionException, TimeoutException {
    long askedAt = System.currentTimeMillis();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    for (int p = 0; p < count; p++) {
      latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      earliest.put(new TopicPartition(topic, p), OffsetSpec.earliest());
    }
    // the three requests go out together: the answer is as fresh as the slowest of them
    ListOffsetsOptions readCommitted = new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);
    var endsAsked = admin.listOffsets(latest, readCommitted).all();
    var firstsAsked = admin.listOffsets(earliest, readCommitted).all();
    var committedAsked = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata();
    Map<TopicPartition, ListOffsetsResultInfo> ends = endsAsked.get(5, TimeUnit.SECONDS);
    Map<TopicPartition, ListOffsetsResultInfo> firsts = firstsAsked.get(5, TimeUnit.SECONDS);
    Map<TopicPartition, OffsetAndMetadata> committed = committedAsked.get(5, TimeUnit.SECONDS);
    long[] end = new long[count];
    long[] start = new long[count];
    for (int p = 0; p < count; p++) {
      TopicPartition partition = new TopicPartition(topic, p);
      end[p] = ends.get(partition).offset();
      OffsetAndMetadata offset = committed.get(partition);
      start[p] = offset != null ? offset.offset() : firsts.get(partition).offset();
    }
    return new Ends(end, start, askedAt);
  }

  /**
   * Reads the gaps between processed and end where the input stage has not moved since the last
   * answer: a stretch with no record a task could process (transaction markers, aborted records)
   * counts as processed. A gap with records stops the read at its first one. The read may go past
   * the answer's end, where records written since then lie: the stretch ends at the first record
   * the read returned, whatever its offset.
   */
  private void probeGaps(Ends answer) {
    Map<TopicPartition, long[]> stuck = new HashMap<>();
    for (int p = 0; p < answer.end().length; p++) {
      long processed = Math.max(reported.getOrDefault(p, -1L), answer.start()[p]);
      Long previous = lastProcessed.put(p, processed);
      long from = from(answer, p, processed);
      if (from < answer.end()[p] && previous != null && previous == processed) {
        stuck.put(new TopicPartition(topic, p), new long[] {from, answer.end()[p]});
      }
    }
    if (stuck.isEmpty()) {
      return;
    }
    probe.assign(stuck.keySet());
    stuck.forEach((partition, gap) -> probe.seek(partition, gap[0]));
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
    while (!stuck.isEmpty() && System.nanoTime() < deadline) {
      // per partition, the first record this poll returned past the gap's end
      Map<TopicPartition, Long> firstPast = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> record : probe.poll(Duration.ofMillis(100))) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        long[] gap = stuck.get(partition);
        if (gap == null) {
          continue;
        }
        if (record.offset() < gap[1]) {
          stuck.remove(partition); // a record to process: the gap is real
          probe.pause(List.of(partition));
        } else {
          firstPast.putIfAbsent(partition, record.offset());
        }
      }
      for (var each : List.copyOf(stuck.entrySet())) {
        int partition = each.getKey().partition();
        long from = each.getValue()[0];
        long position = probe.position(each.getKey(), Duration.ofSeconds(1));
        // nothing to process from `from` up to the first record read, or where the read stands
        long upTo = Math.min(position, firstPast.getOrDefault(each.getKey(), Long.MAX_VALUE));
        if (upTo > from) {
          // joins a known stretch that ends where this one starts
          long[] known = invisible.get(partition);
          long start = known != null && known[0] <= from && from <= known[1] ? known[0] : from;
          invisible.put(partition, new long[] {start, upTo});
        }
        if (position >= each.getValue()[1]) {
          stuck.remove(each.getKey());
        }
      }
    }
    probe.assign(List.of());
  }

  /** Where the input stage stands on {@code partition}: the later of processed and committed. */
  private long from(Ends answer, int partition, long nextOffset) {
    long from = Math.max(nextOffset, answer.start()[partition]);
    long[] skip = invisible.get(partition);
    return skip != null && skip[0] <= from && from < skip[1] ? skip[1] : from;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Only a stream thread that has {@code partition} assigned knows; any other caller gets -1.
   */
  @Override
  public long waiting(int partition) {
    Consumer<byte[], byte[]> consumer = mainConsumer(Thread.currentThread().getName());
    if (consumer == null) {
      return -1;
    }
    try {
      OptionalLong lag = consumer.currentLag(new TopicPartition(topic, partition));
      return lag.isPresent() ? Math.max(0, lag.getAsLong()) : -1;
    } catch (IllegalStateException e) {
      return -1; // not assigned to this thread (any more), or the consumer is closed
    }
  }

  /** The application whose stream threads ask {@link #waiting}: it names their main consumers. */
  void attach(KafkaStreams streams) {
    this.streams = streams;
  }

  /** The main consumer of stream thread {@code thread}, or null when not known. */
  private Consumer<byte[], byte[]> mainConsumer(String thread) {
    Consumer<byte[], byte[]> consumer = byThread.get(thread);
    KafkaStreams application = streams;
    if (consumer != null || application == null) {
      return consumer;
    }
    Long lookedUp = notFound.get(thread);
    long now = System.currentTimeMillis();
    if (lookedUp != null && now - lookedUp < LOOKUP_AGAIN_MS) {
      return null;
    }
    try {
      for (ThreadMetadata metadata : application.metadataForLocalThreads()) {
        if (metadata.threadName().equals(thread)) {
          consumer = consumers.get(metadata.consumerClientId());
        }
      }
    } catch (RuntimeException e) {
      // not running (yet): the next punctuation asks again
      return null;
    }
    if (consumer != null) {
      byThread.put(thread, consumer);
      notFound.remove(thread);
    } else if (notFound.put(thread, now) == null) {
      LOG.warn("Stream thread {} has no main consumer that Tally created: its input partitions' lag "
          + "is unknown, so its stages commit at the commit interval rather than at the end of a "
          + "backlog", thread);
    }
    return consumer;
  }

  /**
   * {@inheritDoc}
   *
   * <p>From the offsets asked of the brokers in the background; -1 while the last answer is older
   * than {@value #ENDS_FRESH_MS} ms.
   */
  @Override
  public long unprocessed(int partition, long nextOffset) {
    // one task per partition here: the latest word is its own (-1: a task that has just started)
    if (nextOffset >= 0) {
      reported.put(partition, nextOffset);
    } else {
      reported.remove(partition);
    }
    Ends answer = ends;
    if (answer == null || partition >= answer.end().length) {
      return -1;
    }
    return unprocessed(answer, partition, from(answer, partition, nextOffset),
        System.currentTimeMillis());
  }

  @Override
  public long unprocessedAsOf(long nowMs) {
    Ends answer = ends;
    return answer == null ? Long.MIN_VALUE : answer.askedAtMs();
  }

  static long unprocessed(Ends ends, int partition, long nextOffset, long nowMs) {
    if (ends == null || nowMs - ends.askedAtMs() > ENDS_FRESH_MS || partition >= ends.end().length) {
      return -1;
    }
    // the group's committed offset counts too: Kafka Streams commits the consumer's position once a
    // partition's fetched records are all processed, which steps over transaction markers and
    // aborted records; the offset after the last record processed never does
    long from = Math.max(nextOffset, ends.start()[partition]);
    return Math.max(0, ends.end()[partition] - from);
  }

  /**
   * The end offset (read committed) of a partition of the events topic, as the brokers said it within
   * the last few seconds, or null when not known (another topic, or no fresh answer).
   */
  Long endOffset(TopicPartition partition) {
    Ends answer = ends;
    if (!partition.topic().equals(topic) || answer == null
        || System.currentTimeMillis() - answer.askedAtMs() > ENDS_FRESH_MS
        || partition.partition() >= answer.end().length) {
      return null;
    }
    return answer.end()[partition.partition()];
  }

  @Override
  public int partitions() {
    return partitions;
  }

  @Override
  public boolean packed() {
    return packed;
  }

  /**
   * The brokers' answer: per partition, its end offset and where a task that processed nothing yet
   * starts (the group's committed offset, or the partition's first), asked at {@code askedAtMs}.
   */
  record Ends(long[] end, long[] start, long askedAtMs) {
  }

  @Override
  public void close() {
    refresher.shutdownNow();
    try {
      refresher.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    probe.close();
    admin.close();
  }
}
