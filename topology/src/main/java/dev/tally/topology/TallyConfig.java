package dev.tally.topology;

import dev.tally.topology.time.Generation;
import dev.tally.topology.time.Windows;
import dev.tally.topology.wire.EventBatch;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configuration of a Tally application: the {@code tally.*} keys below, plus any Kafka Streams or
 * client key (Tally's defaults for them: exactly_once_v2, one standby replica, metadata refreshed
 * every 10 s) ({@code bootstrap.servers}, {@code num.stream.threads}, {@code state.dir}, ...), which is
 * passed to Kafka Streams as it is.
 *
 * <p>Sources, each overriding the one before: the defaults here, a properties file, environment
 * variables {@code TALLY_*} (upper case, dots as underscores: {@code TALLY_WINDOW_GRACE_MS} sets
 * {@code tally.window.grace.ms}, {@code TALLY_BOOTSTRAP_SERVERS} sets {@code bootstrap.servers}), and
 * {@code key=value} overrides from the command line. Run {@code tally config} for the documented list.
 */
public final class TallyConfig extends AbstractConfig {

  private static final Logger LOG = LoggerFactory.getLogger(TallyConfig.class);

  /** The producers' batch size: four full by-user shuffle records. */
  private static final int PRODUCER_BATCH_BYTES = 4 * EventBatch.MAX_BYTES;

  public static final String EVENTS_TOPIC = "tally.topic.events";
  public static final String RESULTS_TOPIC = "tally.topic.results";
  public static final String DEAD_LETTER_TOPIC = "tally.topic.dead.letter";
  public static final String USERS_TOPIC = "tally.topic.users";
  public static final String RANGES_TOPIC = "tally.topic.ranges";
  public static final String TOPIC_PARTITIONS = "tally.topic.partitions";
  public static final String TOPIC_REPLICATION = "tally.topic.replication.factor";
  public static final String AGGREGATION_PARTITIONS = "tally.aggregation.partitions";
  public static final String WINDOW_SIZE_MS = "tally.window.size.ms";
  public static final String WINDOW_GRACE_MS = "tally.window.grace.ms";
  public static final String IDLE_TIMEOUT_MS = "tally.idle.timeout.ms";
  public static final String LIVE_INTERVAL_MS = "tally.live.interval.ms";
  public static final String WATERMARK_INTERVAL_MS = "tally.watermark.interval.ms";
  public static final String INPUT_PACKING = "tally.input.packing";
  public static final String ADMIN_PORT = "tally.admin.port";
  public static final String ADMIN_HOST = "tally.admin.host";
  public static final String GENERATION_FROM = "tally.generation.from";
  public static final String GENERATION_UNTIL = "tally.generation.until";

  /** {@code TALLY_*} variables that are not settings (the launcher's own). */
  /** The launcher's variables and the gateway's secrets: no setting, and not to be echoed as one. */
  private static final java.util.Set<String> IGNORED_VARIABLES = java.util.Set.of("TALLY_LOG_LEVEL",
      "TALLY_JAVA_OPTS", "TALLY_CLASSPATH", "TALLY_GATEWAY_USERS", "TALLY_GATEWAY_TOKENS",
      "TALLY_GATEWAY_TLS_PASSWORD");

  private static final String TOPICS = "Topics";
  private static final String WINDOWS = "Windows";
  private static final String KAFKA = "Kafka";
  private static final String ADMIN = "Admin";
  private static final String GENERATION = "Generation";

  /** The documented keys, with types, defaults and validators. */
  public static final ConfigDef CONFIG = new ConfigDef()
      .define(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, Type.LIST, ConfigDef.NO_DEFAULT_VALUE,
          ConfigDef.ValidList.anyNonDuplicateValues(false, false), Importance.HIGH, "Kafka brokers to connect to, host:port,host:port.", KAFKA, 1,
          ConfigDef.Width.LONG, "Kafka bootstrap servers")
      .define(StreamsConfig.APPLICATION_ID_CONFIG, Type.STRING, "tally",
          new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Kafka Streams application id: the consumer group, and the prefix of internal topics and "
              + "state directories. Instances with the same id share the work.",
          KAFKA, 2, ConfigDef.Width.MEDIUM, "Application id")
      .define(EVENTS_TOPIC, Type.STRING, "events", new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Input topic. Values: Avro single-object Event, JSON objects or InfluxDB line protocol; "
              + "key: the username, ideally.", TOPICS, 1, ConfigDef.Width.MEDIUM, "Events topic")
      .define(RESULTS_TOPIC, Type.STRING, "minute-counts", new ConfigDef.NonEmptyString(),
          Importance.HIGH, "Output topic: key MinuteKey, value MinuteCount (Avro single-object), live "
              + "updates and one final record per window.", TOPICS, 2, ConfigDef.Width.MEDIUM,
          "Results topic")
      .define(DEAD_LETTER_TOPIC, Type.STRING, "events-dead-letter", new ConfigDef.NonEmptyString(),
          Importance.HIGH, "Where bad input and late events go, with tally.error.reason, "
              + "tally.error.message and tally.source.{topic,partition,offset} headers.",
          TOPICS, 3, ConfigDef.Width.MEDIUM, "Dead-letter topic")
      .define(USERS_TOPIC, Type.STRING, "minute-users", Importance.MEDIUM,
          "Output topic of each closed window's distinct users as 64-bit hashes "
              + "(key MinuteKey, value MinuteUsers, Avro single-object), one record per window, series "
              + "and aggregating partition: what counts distinct users over any range of minutes. "
              + "Empty: none (no distinct users over ranges, and a faster catch-up).",
          TOPICS, 4, ConfigDef.Width.MEDIUM, "Users topic")
      .define(RANGES_TOPIC, Type.STRING, "range-counts", Importance.MEDIUM,
          "Output topic of each series' distinct users per UTC hour and day (key RangeKey, value "
              + "RangeCount, Avro single-object), one record per series and hour or day once all its "
              + "windows are final: exact up to 1,024 users, else an estimate within about 0.8%. "
              + "Empty: none.",
          TOPICS, 5, ConfigDef.Width.MEDIUM, "Ranges topic")
      .define(TOPIC_PARTITIONS, Type.INT, 4, Range.atLeast(1), Importance.MEDIUM,
          "Partitions of the events, results, users, ranges and dead-letter topics when Tally creates them.",
          TOPICS, 6, ConfigDef.Width.SHORT, "Topic partitions")
      .define(TOPIC_REPLICATION, Type.SHORT, (short) -1, new ReplicationValidator(),
          Importance.MEDIUM, "Replication factor of the topics Tally creates (its own and Kafka "
              + "Streams' internal ones); -1 takes the broker's default.", TOPICS, 6,
          ConfigDef.Width.SHORT, "Replication factor")
      .define(AGGREGATION_PARTITIONS, Type.INT, 4, Range.between(1, 10_000), Importance.MEDIUM,
          "Partitions of the two internal shuffle topics (by-user, by-series): how many tasks share "
              + "the aggregation. Changing it needs a new application.id.", TOPICS, 6,
          ConfigDef.Width.SHORT, "Aggregation partitions")
      .define(WINDOW_SIZE_MS, Type.LONG, 60_000L, Range.atLeast(1), Importance.HIGH,
          "Length of the tumbling event-time windows, in milliseconds.", WINDOWS, 1,
          ConfigDef.Width.SHORT, "Window size")
      .define(WINDOW_GRACE_MS, Type.LONG, 10_000L, Range.atLeast(0), Importance.HIGH,
          "How long after its end a window still counts out-of-order events; later events go to "
              + "the dead-letter topic as late.", WINDOWS, 2, ConfigDef.Width.SHORT, "Grace")
      .define(IDLE_TIMEOUT_MS, Type.LONG, 5_000L, Range.atLeast(1), Importance.MEDIUM,
          "Once every input partition has been quiet (nothing left to process, no records) for "
              + "this long, the clocks follow the wall clock, so the last window closes with no "
              + "more traffic.",
          WINDOWS, 3, ConfigDef.Width.SHORT, "Idle timeout")
      .define(LIVE_INTERVAL_MS, Type.LONG, 1_000L, Range.atLeast(1), Importance.MEDIUM,
          "Live updates of an open window are emitted at most this often.", WINDOWS, 4,
          ConfigDef.Width.SHORT, "Live interval")
      .define(WATERMARK_INTERVAL_MS, Type.LONG, 200L, Range.atLeast(1), Importance.LOW,
          "Input partitions announce their clock downstream at most this often (and at once when it "
              + "closes a window).", WINDOWS, 5, ConfigDef.Width.SHORT, "Watermark interval")
      .define(INPUT_PACKING, Type.BOOLEAN, true, Importance.LOW,
          "Hand the events topic's records to the input stage in packs, one per partition and poll "
              + "of up to 64 KiB, so that Kafka Streams' work per record is paid once per pack; "
              + "false: one Kafka Streams record per input record.", KAFKA, 3,
          ConfigDef.Width.SHORT, "Input packing")
      .define(ADMIN_PORT, Type.INT, -1, Range.between(-1, 65_535), Importance.MEDIUM,
          "Port of the admin HTTP server (/health, /ready, /metrics, /threads, /tasks); 0 picks a "
              + "free one, -1 turns it off.", ADMIN, 1, ConfigDef.Width.SHORT, "Admin port")
      .define(ADMIN_HOST, Type.STRING, "0.0.0.0", new ConfigDef.NonEmptyString(), Importance.LOW,
          "Address the admin HTTP server binds to.", ADMIN, 2, ConfigDef.Width.MEDIUM,
          "Admin address")
      .define(GENERATION_FROM, Type.STRING, "", new BoundaryValidator(), Importance.LOW,
          "First window this application generation counts (a window start: epoch ms or ISO-8601 "
              + "instant); events of earlier windows are skipped, counted in a metric, not "
              + "dead-lettered. Empty: no bound. Set on a new generation that takes over from an "
              + "old one (tally generation).", GENERATION, 1, ConfigDef.Width.MEDIUM,
          "Generation from")
      .define(GENERATION_UNTIL, Type.STRING, "", new BoundaryValidator(), Importance.LOW,
          "First window this application generation no longer counts (a window start: epoch ms "
              + "or ISO-8601 instant); events of that and later windows are skipped, counted in a "
              + "metric, not dead-lettered. Empty: no bound. Set on the old generation before a new "
              + "one takes over (tally generation).", GENERATION, 2, ConfigDef.Width.MEDIUM,
          "Generation until");

  public TallyConfig(Map<?, ?> values) {
    super(CONFIG, values, false);
    validate();
    for (String key : unknownKeys()) {
      LOG.warn("Ignoring {}: Tally has no such setting (tally config lists them)", key);
    }
  }

  /** The {@code tally.*} keys given that Tally does not define: typos, or settings since removed. */
  public List<String> unknownKeys() {
    return originals().keySet().stream()
        .filter(key -> key.startsWith("tally.") && !CONFIG.names().contains(key))
        .sorted()
        .toList();
  }

  /** The rules between keys, every broken one reported at once, each with its key. */
  private void validate() {
    List<String> problems = new ArrayList<>();
    long size = getLong(WINDOW_SIZE_MS);
    Long from = boundary(GENERATION_FROM);
    Long until = boundary(GENERATION_UNTIL);
    for (String key : List.of(GENERATION_FROM, GENERATION_UNTIL)) {
      Long value = boundary(key);
      if (value != null && Math.floorMod(value, size) != 0) {
        long before = Math.floorDiv(value, size) * size;
        problems.add("Invalid value " + getString(key) + " for configuration " + key + ": must be a "
            + "window start, a multiple of " + WINDOW_SIZE_MS + " (" + size + "), such as " + before
            + " (" + Instant.ofEpochMilli(before) + ") or " + (before + size) + " ("
            + Instant.ofEpochMilli(before + size) + ")");
      }
    }
    if (from != null && until != null && from >= until) {
      problems.add("Invalid value " + getString(GENERATION_UNTIL) + " for configuration "
          + GENERATION_UNTIL + ": must be after " + GENERATION_FROM + " (" + getString(GENERATION_FROM)
          + ")");
    }
    Object protocol = originals().get(StreamsConfig.GROUP_PROTOCOL_CONFIG);
    if (protocol != null && protocol.toString().trim().equalsIgnoreCase("streams")) {
      // Kafka Streams builds its main consumers itself under the streams protocol (KIP-1071), past
      // the client supplier: the input stage would take raw records for packs
      problems.add("Invalid value " + protocol + " for configuration "
          + StreamsConfig.GROUP_PROTOCOL_CONFIG + ": Tally needs the classic group protocol, since "
          + "under the streams protocol Kafka Streams creates its consumers without Tally's client "
          + "supplier, which packs the input (" + INPUT_PACKING + ") and tells each partition's "
          + "lag; leave it unset or set it to classic");
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(String.join("; ", problems));
    }
  }

  /** A generation bound in epoch ms, or {@code null} when not set. */
  private Long boundary(String key) {
    String text = getString(key);
    return text.isBlank() ? null : Generation.parseBoundary(text);
  }

  /** The windows this application generation owns. */
  public Generation generation() {
    Long from = boundary(GENERATION_FROM);
    Long until = boundary(GENERATION_UNTIL);
    return new Generation(from == null ? Long.MIN_VALUE : from,
        until == null ? Long.MAX_VALUE : until);
  }

  /**
   * Reads the configuration from its sources, each overriding the one before.
   *
   * @param file a properties file, or {@code null}
   * @param environment the process environment (only {@code TALLY_*} variables are read)
   * @param overrides {@code key=value} pairs from the command line
   */
  public static TallyConfig load(Path file, Map<String, String> environment,
      Map<String, String> overrides) {
    Map<String, String> values = read(file, environment);
    values.putAll(overrides);
    return new TallyConfig(values);
  }

  /** The raw settings of a properties file (if any) overridden by {@code TALLY_*} variables. */
  public static Map<String, String> read(Path file, Map<String, String> environment) {
    Map<String, String> values = new HashMap<>();
    if (file != null) {
      Properties properties = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
        properties.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read configuration file " + file, e);
      }
      properties.forEach((k, v) -> values.put(k.toString(), v.toString().trim()));
    }
    environment.forEach((name, value) -> {
      if (name.startsWith("TALLY_") && name.length() > "TALLY_".length()
          && !IGNORED_VARIABLES.contains(name)) {
        values.put(keyOf(name), value);
      }
    });
    return values;
  }

  /** {@code TALLY_WINDOW_GRACE_MS} to {@code tally.window.grace.ms}, {@code TALLY_NUM_STREAM_THREADS} to {@code num.stream.threads}. */
  static String keyOf(String variable) {
    String dotted = variable.substring("TALLY_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
    String tallyKey = "tally." + dotted;
    return CONFIG.names().contains(tallyKey) ? tallyKey : dotted;
  }

  public Windows windows() {
    return new Windows(getLong(WINDOW_SIZE_MS), getLong(WINDOW_GRACE_MS));
  }

  /** The topology's settings, given the events topic's current partition count. */
  public TopologySettings topologySettings(int inputPartitions) {
    return new TopologySettings(getString(EVENTS_TOPIC), getString(RESULTS_TOPIC),
        getString(DEAD_LETTER_TOPIC), getString(USERS_TOPIC), getString(RANGES_TOPIC), windows(), getLong(IDLE_TIMEOUT_MS), getLong(LIVE_INTERVAL_MS),
        getLong(WATERMARK_INTERVAL_MS), inputPartitions, getInt(AGGREGATION_PARTITIONS),
        generation());
  }

  /**
   * Kafka Streams' configuration: Tally's defaults (exactly_once_v2, replication), then every
   * non-{@code tally.*} key the user gave.
   */
  public Properties streamsProperties() {
    Properties properties = new Properties();
    properties.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    // a second instance keeps a warm copy of each task's state: a fail-over does not replay changelogs
    properties.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
    properties.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) getShort(TOPIC_REPLICATION));
    properties.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 16L * 1024 * 1024);
    // every task of Tally's topology reads one partition, so there is nothing to wait for to keep
    // partitions in step; the default idling costs a log string per empty task per loop
    properties.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    // a grown events topic is picked up within seconds, not the clients' default 5 minutes, during
    // which every window would wait for the new partitions' clocks
    properties.put("metadata.max.age.ms", 10_000);
    // a by-user shuffle record is up to 64 KiB: in the producer's default 16 KiB batches each went in a
    // batch of its own, in a buffer allocated for it alone (outside the producer's pool)
    properties.put(ProducerConfig.BATCH_SIZE_CONFIG, PRODUCER_BATCH_BYTES);
    // the first wait of every retry loop (internal topics becoming ready, transactions initialising,
    // fetch and produce errors), doubled on each retry up to retry.backoff.max.ms: the default
    // 100 ms was a large part of a new application's start-up
    properties.put(CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG, 10L);
    // every commit waits for the producer's acknowledgements and the transaction coordinator, so a
    // backlog runs faster with fewer of them; a stage that closes a window of a live stream commits
    // at once all the same (LiveCommit). docs/operations.md has the measurements
    properties.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 300L);
    // a stream thread learns that its group rebalances from its next heartbeat: with the default 3 s,
    // a thread that asked to rejoin (say, once the first assignment created the internal topics) waited
    // up to 3 s for the others, processing nothing, and so did every survivor of a fail-over
    properties.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
    // the restore consumer's fetches: restoring even an empty changelog (every task of a new
    // application) ended only when one came back, which on a partition without new records took the
    // default 500 ms; standby replicas poll with it too, so an idle instance sends more fetches
    properties.put(StreamsConfig.restoreConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 10);
    // how long a stream thread waits in poll when no record is there: tasks restoring their state
    // (even empty, at start-up) become ready between polls, and wall-clock punctuations (watermarks,
    // live updates) run between them too, so the default 100 ms delayed each by up to 100 ms
    properties.put(StreamsConfig.POLL_MS_CONFIG, 10L);
    // Kafka Streams stops fetching a partition once this many records wait in its task's queue, and
    // Tally's records are packs and batches of up to 64 KiB: at the default 1000, a backlog could
    // queue 64 MiB per partition, for no measurable gain in speed
    properties.put(StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG, 100);
    // Tally has no global stores; without this Kafka Streams 4.4 warns at every start that the
    // processing exception handler will cover them from 5.0. The partition assignor reads its
    // settings from the main consumer's configuration, which keeps consumer settings only, and warns
    // again unless it finds the setting there too.
    properties.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    properties.put(StreamsConfig.mainConsumerPrefix(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG), true);
    originals().forEach((key, value) -> {
      if (!key.startsWith("tally.")) {
        properties.put(key, value);
      }
    });
    properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG,
        String.join(",", getList(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)));
    return properties;
  }

  /** A generation bound: empty, epoch milliseconds or an ISO-8601 instant. */
  private static final class BoundaryValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      String text = (String) value;
      if (text == null || text.isBlank()) {
        return;
      }
      try {
        Generation.parseBoundary(text);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(name, value, e.getMessage());
      }
    }

    @Override
    public String toString() {
      return "empty, epoch ms or ISO-8601 instant (a window start)";
    }
  }

  /** The replication factor: -1 (broker default) or at least 1. */
  private static final class ReplicationValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      short replication = (Short) value;
      if (replication == 0 || replication < -1) {
        throw new ConfigException(name, value,
            "must be -1 (the broker's default) or at least 1");
      }
    }

    @Override
    public String toString() {
      return "-1 or [1,...]";
    }
  }
}
