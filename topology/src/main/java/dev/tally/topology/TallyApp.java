package dev.tally.topology;

import dev.tally.topology.admin.AdminServer;
import dev.tally.topology.commit.CommitPacers;
import dev.tally.topology.time.ClockBoard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running instance of Tally: checks the topics, builds the topology and runs it in Kafka Streams.
 * Start as many instances (on as many machines) as you like with the same {@code application.id}: they
 * share the work, and exactly_once_v2 keeps every result exact through fail-overs.
 */
public final class TallyApp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TallyApp.class);

  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final KafkaStreams streams;
  private final InputWatcher input;
  private final AdminServer admin;
  /** Open until Kafka Streams has stopped (ERROR or NOT_RUNNING). */
  private final CountDownLatch stopped;

  /** Leave the group on close, so the rest take the tasks over at once; a static member stays. */
  private final CloseOptions closeOptions;

  private TallyApp(KafkaStreams streams, InputWatcher input, AdminServer admin,
      CountDownLatch stopped, CloseOptions closeOptions) {
    this.streams = streams;
    this.input = input;
    this.admin = admin;
    this.stopped = stopped;
    this.closeOptions = closeOptions;
  }

  /** Checks or creates the topics, then starts processing; returns at once. */
  public static TallyApp start(TallyConfig config) {
    Properties streamsProperties = config.streamsProperties();
    int inputPartitions;
    try (Admin admin = Admin.create(adminProperties(streamsProperties))) {
      inputPartitions = Topics.ensure(admin, config);
    }
    TopologySettings settings = config.topologySettings(inputPartitions);
    InputWatcher input = new InputWatcher(settings.eventsTopic(),
        config.getString(StreamsConfig.APPLICATION_ID_CONFIG),
        Admin.create(adminProperties(streamsProperties)), probeConsumer(streamsProperties),
        inputPartitions,
        config.getBoolean(TallyConfig.INPUT_PACKING));
    StreamsBuilder builder = new StreamsBuilder();
    ClockBoard board = new ClockBoard();
    TallyTopology.build(builder, settings, input, board, CommitPacers.systemClock());
    Topology topology = builder.build(streamsProperties);
    LOG.debug("Topology:\n{}", topology.describe());
    KafkaStreams streams = new KafkaStreams(topology, streamsProperties, input.clientSupplier());
    input.attach(streams);
    // Kafka Streams takes one listener, and only before start
    CountDownLatch stopped = new CountDownLatch(1);
    int standbys = Integer.parseInt(String.valueOf(streamsProperties.getOrDefault(
        StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, "0")));
    AtomicBoolean standbysTold = new AtomicBoolean();
    streams.setStateListener((next, previous) -> {
      LOG.info("Kafka Streams state {} -> {}", previous, next);
      if (next == KafkaStreams.State.RUNNING && standbys > 0 && !standbysTold.get()
          && streams.metadataForLocalThreads().stream().allMatch(t -> t.standbyTasks().isEmpty())
          && standbysTold.compareAndSet(false, true)) {
        // Kafka Streams says this once per task; one line says what to do
        LOG.warn("No standby replica is placed here: {}={} needs at least {} instances of application {}; "
                + "until more join, a fail-over restores state from the changelogs first",
            StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbys, standbys + 1,
            config.getString(StreamsConfig.APPLICATION_ID_CONFIG));
      }
      if (next == KafkaStreams.State.ERROR || next == KafkaStreams.State.NOT_RUNNING) {
        stopped.countDown();
      }
    });
    streams.setUncaughtExceptionHandler(new ThreadReplacement(System::currentTimeMillis));
    AdminServer admin = null;
    int adminPort = config.getInt(TallyConfig.ADMIN_PORT);
    if (adminPort >= 0) {
      try {
        admin = AdminServer.start(streams, config.getString(TallyConfig.ADMIN_HOST), adminPort,
            board, input::endOffset);
      } catch (IOException e) {
        streams.close();
        throw new UncheckedIOException("cannot start the admin server on port " + adminPort, e);
      }
    }
    streams.start();
    input.watch();
    boolean staticMember = streamsProperties.containsKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)
        || streamsProperties.containsKey(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG));
    CloseOptions closeOptions = CloseOptions.timeout(CLOSE_TIMEOUT).withGroupMembershipOperation(
        staticMember ? CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP
            : CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
    return new TallyApp(streams, input, admin, stopped, closeOptions);
  }

  /**
   * Runs one instance until SIGTERM or Ctrl-C, then stops it cleanly (last commit, state closed, group
   * left), or until Kafka Streams stops by itself.
   *
   * @return the exit code: 0 after a clean stop, 1 when Kafka Streams failed
   */
  public static int runUntilStopped(TallyConfig config) throws InterruptedException {
    TallyApp app = start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "tally-shutdown"));
    app.stopped.await();
    return app.streams().state() == KafkaStreams.State.ERROR ? 1 : 0;
  }

  /**
   * One instance as a bare process: {@code java -cp ... dev.tally.topology.TallyApp KEY=VALUE...},
   * settings over {@code TALLY_*} variables, until SIGTERM. {@code tally run} is the documented way;
   * this is what the reliability harness starts and kills.
   */
  public static void main(String[] args) throws InterruptedException {
    Map<String, String> values = new LinkedHashMap<>(TallyConfig.read(null, System.getenv()));
    for (String arg : args) {
      int equals = arg.indexOf('=');
      if (equals < 1) {
        System.err.println("usage: TallyApp KEY=VALUE... (see 'tally config'); not a setting: " + arg);
        System.exit(2);
      }
      values.put(arg.substring(0, equals), arg.substring(equals + 1));
    }
    System.exit(runUntilStopped(new TallyConfig(values)));
  }

  /**
   * The consumer that reads gaps in the events topic's partitions for {@link InputWatcher}:
   * read_committed, no group, the brokers and security of the application's own clients.
   */
  private static KafkaConsumer<byte[], byte[]> probeConsumer(Properties streamsProperties) {
    Map<String, Object> consumer = new java.util.HashMap<>();
    Set<String> known = ConsumerConfig.configNames();
    streamsProperties.forEach((key, value) -> {
      if (known.contains(key.toString()) && !key.toString().startsWith("group.")
          && !key.toString().equals(ConsumerConfig.CLIENT_ID_CONFIG)) {
        consumer.put(key.toString(), value);
      }
    });
    consumer.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // it reads stretches where the input stage stands still: a stretch with records stops it at
    // the first, so a fetch need not bring more than a little of one
    consumer.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    consumer.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024);
    consumer.put(ConsumerConfig.CLIENT_ID_CONFIG,
        streamsProperties.getProperty(StreamsConfig.APPLICATION_ID_CONFIG) + "-input-probe");
    return new KafkaConsumer<>(consumer, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The admin client's share of the configuration: brokers, security, timeouts. */
  private static Map<String, Object> adminProperties(Properties streamsProperties) {
    Map<String, Object> admin = new java.util.HashMap<>();
    Set<String> known = AdminClientConfig.configNames();
    streamsProperties.forEach((key, value) -> {
      if (known.contains(key.toString())) {
        admin.put(key.toString(), value);
      }
    });
    return admin;
  }

  /** The topology for these settings, taking every input partition as drained (no brokers to ask). */
  public static Topology topology(TopologySettings settings) {
    StreamsBuilder builder = new StreamsBuilder();
    TallyTopology.build(builder, settings);
    return builder.build();
  }

  public KafkaStreams streams() {
    return streams;
  }

  /** The admin server's port, when {@code tally.admin.port} turned it on. */
  public Optional<Integer> adminPort() {
    return Optional.ofNullable(admin).map(AdminServer::port);
  }

  /** Waits until the instance processes (state RUNNING), or fails when it stops first. */
  public void awaitRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (!streams.state().isRunningOrRebalancing() && streams.state() != KafkaStreams.State.CREATED) {
        throw new IllegalStateException("Kafka Streams stopped in state " + streams.state());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not running after " + timeout + ": " + streams.state());
      }
      Thread.sleep(50);
    }
  }

  private void awaitStopped(Duration timeout) {
    try {
      stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops cleanly: commits, closes the state stores and leaves the group, so that the other instances
   * take its tasks over at once instead of after {@code session.timeout.ms}. A static member
   * ({@code group.instance.id} set) stays in the group, to come back without a rebalance.
   */
  @Override
  public void close() {
    if (streams.close(closeOptions)) {
      // close() returns as soon as the state is NOT_RUNNING, before Kafka Streams calls the state
      // listener: wait for it, so that a shutdown hook does not let the JVM halt before the last
      // state change is logged
      awaitStopped(Duration.ofSeconds(5));
    } else {
      LOG.warn("Kafka Streams did not stop within {}; closing anyway", CLOSE_TIMEOUT);
    }
    input.close();
    if (admin != null) {
      admin.close();
    }
  }
}
