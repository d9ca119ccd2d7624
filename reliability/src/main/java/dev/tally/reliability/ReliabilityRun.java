package dev.tally.reliability;

import dev.tally.connect.redis.KeyLayout;
import dev.tally.localstack.ConnectWorker;
import dev.tally.localstack.InfluxServer;
import dev.tally.localstack.KafkaCluster;
import dev.tally.localstack.RedisServer;
import dev.tally.localstack.ShippedConnectors;
import dev.tally.localstack.WorkDir;
import dev.tally.schema.SeriesWindow;
import dev.tally.testkit.Reference;
import dev.tally.topology.DeadLetters;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.Topics;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One run of the harness, end to end: a Kafka cluster of separate processes, Redis and InfluxDB,
 * the two sinks in a Connect worker, Tally instances as processes; a live stream with poison, out of
 * order and late events; the scenario's faults at their times; then every output compared with the
 * reference.
 */
public final class ReliabilityRun {

  /** What one run did and found. */
  public record Result(Scenario scenario, Verdict verdict, Map<Fault, Integer> faultsInjected,
      List<String> faultErrors, List<Long> failoverMs, int crashes, long eventsCounted,
      long recordsSent, long sendsFailed, long resultRecords, Duration took) {

    /** Every output exact, every fault carried out, no instance died by itself. */
    public boolean passed() {
      return verdict.exact() && faultErrors.isEmpty() && crashes == 0;
    }
  }

  static final String APPLICATION_ID = "tally-ha";
  static final String EVENTS = "events";
  static final String RESULTS = "minute-counts";
  static final String DEAD_LETTERS = "events-dead-letter";
  private static final String REDIS_CONNECTOR = "tally-redis-mirror";
  private static final String INFLUX_CONNECTOR = "tally-influxdb-sink";
  private static final Duration PAUSE = Duration.ofSeconds(5);
  private static final Duration SINK_TIMEOUT = Duration.ofSeconds(150);

  private final Scenario scenario;
  private final Map<String, String> overrides;
  private final Path dir;
  private final PrintStream progress;
  private final Random random;
  private final Map<Fault, Integer> injected = Collections.synchronizedMap(new EnumMap<>(Fault.class));
  private final List<Long> failovers = Collections.synchronizedList(new ArrayList<>());
  private final List<String> faultErrors = Collections.synchronizedList(new ArrayList<>());
  private final long startNanos = System.nanoTime();
  private final Object instanceFaults = new Object();
  private final Object brokerFaults = new Object();
  private final Object redisFaults = new Object();
  private final Object influxFaults = new Object();

  private KafkaCluster kafka;
  private Admin admin;
  private volatile RedisServer redis;
  private volatile InfluxServer influx;
  private ConnectWorker worker;
  private TallyInstances instances;

  private ReliabilityRun(Scenario scenario, Map<String, String> overrides, Path dir,
      PrintStream progress) {
    this.scenario = scenario;
    this.overrides = Map.copyOf(overrides);
    this.dir = dir;
    this.progress = progress;
    this.random = new Random(scenario.seed() * 31 + 7);
  }

  /** Runs {@code scenario} with its servers' files under {@code dir}; progress lines go to {@code progress}. */
  public static Result run(Scenario scenario, Path dir, PrintStream progress) throws Exception {
    return run(scenario, Map.of(), dir, progress);
  }

  /**
   * The same, with {@code overrides} (Tally or Kafka Streams settings) over the harness's own
   * settings of every instance.
   */
  public static Result run(Scenario scenario, Map<String, String> overrides, Path dir,
      PrintStream progress) throws Exception {
    return new ReliabilityRun(scenario, overrides, dir, progress).run();
  }

  private Result run() throws Exception {
    try {
      startServers();
      Reference reference = new Reference(scenario.windowMs());
      try (ResultWatcher watcher = new ResultWatcher(kafka.bootstrapServers(), RESULTS);
          Traffic traffic = new Traffic(kafka.bootstrapServers(), EVENTS, scenario, reference)) {
        watcher.start();
        traffic.start();
        say("stream started: " + scenario.eventsPerSecond() + " events/s for "
            + scenario.streamDuration().toSeconds() + " s, faults " + scenario.faults());
        stream(traffic, watcher);
        traffic.stop();
        if (traffic.failed() > 0) {
          say("WARNING: " + traffic.failed() + " sends were never acknowledged (first: "
              + traffic.firstFailure() + "); such an event may or may not be in the topic");
        }
        Map<SeriesWindow, Reference.Expected> expected = reference.expected();
        say("stream done: " + traffic.sent() + " records sent, " + reference.events() + " events in "
            + expected.size() + " (series, window) pairs; waiting for their final results");
        awaitFinals(watcher, expected.keySet());
        say("final results complete; waiting for the sinks");
        Map<SeriesWindow, Reference.Expected> redisMinutes = awaitSink("redis", expected,
            () -> Sinks.redis(redis.port(), seriesOf(expected)));
        Map<SeriesWindow, Reference.Expected> influxPoints = awaitSink("influxdb", expected,
            () -> Sinks.influx(influx));
        Verdict verdict = Verdict.of(expected, watcher.finals(), redisMinutes, influxPoints,
            traffic.expectedDeadLetters(), deadLetters());
        instances.checkForCrashes();
        instances.crashReports().forEach(report -> say("CRASH: " + report));
        verdict.examples().forEach(problem -> say("MISMATCH: " + problem));
        return new Result(scenario, verdict, Map.copyOf(injected), List.copyOf(faultErrors),
            List.copyOf(failovers),
            instances.crashes(), reference.events(), traffic.sent(), traffic.failed(),
            watcher.records(), Duration.ofNanos(System.nanoTime() - startNanos));
      }
    } finally {
      stopServers();
    }
  }

  private void startServers() throws Exception {
    kafka = KafkaCluster.start(dir.resolve("kafka"), scenario.brokers());
    say(kafka.toString());
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    short replicas = (short) Math.min(3, scenario.brokers());
    Topics.create(admin, new NewTopic(EVENTS, scenario.partitions(), replicas));
    redis = RedisServer.start(dir.resolve("redis"), 0, true);
    influx = InfluxServer.start(dir.resolve("influx"), 0);
    influx.createDatabase(Sinks.DATABASE);
    say(redis + ", " + influx);

    Map<String, String> settings = new HashMap<>();
    settings.put("bootstrap.servers", kafka.bootstrapServers());
    settings.put("application.id", APPLICATION_ID);
    settings.put("num.stream.threads", "1");
    settings.put("num.standby.replicas", Integer.toString(scenario.standbys()));
    settings.put(TallyConfig.TOPIC_REPLICATION, Short.toString(replicas));
    settings.put(TallyConfig.TOPIC_PARTITIONS, Integer.toString(scenario.partitions()));
    settings.put(TallyConfig.AGGREGATION_PARTITIONS, Integer.toString(scenario.partitions()));
    settings.put(TallyConfig.WINDOW_SIZE_MS, Long.toString(scenario.windowMs()));
    settings.put(TallyConfig.WINDOW_GRACE_MS, Long.toString(scenario.graceMs()));
    // fail-over starts when the group notices a dead member: 6 s instead of the default 45 s (the
    // heartbeat interval is Tally's default)
    settings.put("session.timeout.ms", "6000");
    settings.putAll(overrides);
    instances = new TallyInstances(dir.resolve("instances"), scenario.instances(), settings);
    for (int i = 0; i < scenario.instances(); i++) {
      instances.start(i);
    }
    awaitGroup(scenario.instances());
    say(scenario.instances() + " Tally instances running (" + scenario.standbys() + " standby replicas)");

    worker = ConnectWorker.start(kafka.bootstrapServers(), dir.resolve("connect"));
    Map<String, String> mirror = ShippedConnectors.load("redis-sink.properties");
    mirror.put("topics", RESULTS);
    mirror.put("redis.hosts", "127.0.0.1:" + redis.port());
    mirror.remove("redis.user");
    mirror.remove("redis.password");
    mirror.put("redis.retry.timeout.ms", "-1");
    mirror.put("errors.deadletterqueue.topic.replication.factor", Short.toString(replicas));
    worker.createConnector(mirror.remove("name"), mirror);
    Map<String, String> points = ShippedConnectors.load("influxdb-sink.properties");
    points.put("topics", RESULTS);
    points.put("influx.url", influx.url());
    points.put("influx.database", Sinks.DATABASE);
    points.put("influx.retry.backoff.max.ms", "5000");
    points.put("errors.deadletterqueue.topic.replication.factor", Short.toString(replicas));
    worker.createConnector(points.remove("name"), points);
    say("Connect worker " + worker.restUrl() + ": Redis mirror and InfluxDB sink running");
  }

  /** Produces for the scenario's duration while its faults happen; aims late events at final windows. */
  private void stream(Traffic traffic, ResultWatcher watcher) throws InterruptedException {
    long start = System.nanoTime();
    ExecutorService faults = Executors.newCachedThreadPool();
    List<Scenario.Planned> pending = new ArrayList<>(scenario.faults());
    Set<Long> lateDone = new HashSet<>();
    long firstWindow = (System.currentTimeMillis() / scenario.windowMs() + 2) * scenario.windowMs();
    long lastReport = 0;
    while (System.nanoTime() - start < scenario.streamDuration().toNanos()) {
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      while (!pending.isEmpty() && pending.get(0).at().toMillis() <= elapsedMs) {
        Scenario.Planned due = pending.remove(0);
        faults.submit(() -> inject(due.fault()));
      }
      if (lateDone.size() < scenario.lateWindows()) {
        for (long window : watcher.finalWindows()) {
          if (window >= firstWindow && lateDone.size() < scenario.lateWindows() && lateDone.add(window)) {
            traffic.sendLate(window, 3);
            say("sent 3 late events for the final window " + window);
          }
        }
      }
      instances.checkForCrashes();
      if (elapsedMs - lastReport >= 10_000) {
        lastReport = elapsedMs;
        say(String.format("%3d s: %d records sent, %d result records read, %d windows final",
            elapsedMs / 1000, traffic.sent(), watcher.records(), watcher.finalWindows().size()));
      }
      Thread.sleep(100);
    }
    faults.shutdown();
    if (!faults.awaitTermination(5, TimeUnit.MINUTES)) {
      throw new IllegalStateException("a fault did not end within 5 minutes");
    }
  }

  /**
   * Faults on one target happen one after the other (a Redis wipe never lands inside a Redis outage,
   * and only one instance or broker is down at a time); faults on different targets may overlap.
   */
  private Object targetOf(Fault fault) {
    return switch (fault) {
      case INSTANCE_KILL -> instanceFaults;
      case BROKER_KILL -> brokerFaults;
      case REDIS_OUTAGE, REDIS_WIPE -> redisFaults;
      case INFLUX_OUTAGE -> influxFaults;
    };
  }

  private void inject(Fault fault) {
    synchronized (targetOf(fault)) {
      injectNow(fault);
    }
  }

  private void injectNow(Fault fault) {
    try {
      injected.merge(fault, 1, Integer::sum);
      switch (fault) {
        case INSTANCE_KILL -> killInstance();
        case BROKER_KILL -> {
          int node = 1 + random.nextInt(kafka.size());
          say("FAULT kill -9 Kafka node " + node);
          kafka.kill(node);
          Thread.sleep(PAUSE.toMillis() * 2);
          kafka.restart(node);
          say("Kafka node " + node + " is back");
        }
        case REDIS_OUTAGE -> {
          int port = redis.port();
          say("FAULT redis-server stopped for " + scenario.outage().toSeconds() + " s");
          redis.close();
          Thread.sleep(scenario.outage().toMillis());
          redis = RedisServer.start(dir.resolve("redis"), port, true);
          say("redis-server is back with its data");
        }
        case REDIS_WIPE -> {
          int port = redis.port();
          say("FAULT redis-server restarted empty, then the mirror rebuilt from the topic");
          redis.close();
          WorkDir.deleteRecursively(dir.resolve("redis"));
          redis = RedisServer.start(dir.resolve("redis"), port, true);
          worker.resetOffsets(REDIS_CONNECTOR);
          say("mirror rebuild started (connector offsets reset)");
        }
        case INFLUX_OUTAGE -> {
          int port = influx.port();
          say("FAULT influxd stopped for " + scenario.outage().toSeconds() + " s");
          influx.close();
          Thread.sleep(scenario.outage().toMillis());
          influx = InfluxServer.start(dir.resolve("influx"), port);
          say("influxd is back with its data");
        }
      }
    } catch (Exception e) {
      say("FAULT " + fault + " FAILED: " + e);
      faultErrors.add(fault + ": " + e);
    }
  }

  private void killInstance() throws Exception {
    // an instance without active tasks (one restarted a moment ago holds standbys only) has nothing
    // to fail over: its kill would time the commit interval, so it is not timed
    Map<Integer, Holding> holdings = holdings();
    List<Integer> working = holdings.keySet().stream().sorted().toList();
    boolean timed = !working.isEmpty();
    int victim = timed ? working.get(random.nextInt(working.size()))
        : random.nextInt(instances.size());
    long killed = System.nanoTime();
    say("FAULT kill -9 Tally instance " + (victim + 1)
        + (timed ? "" : " (no instance was seen holding partitions: the fail-over is not timed)"));
    instances.kill(victim);
    Thread waiter = new Thread(() -> {
      long ms = awaitTakeOver(holdings.get(victim), killed);
      failovers.add(ms);
      say(ms < 0 ? "fail-over not done within 180 s" : "fail-over: every partition of the killed "
          + "instance is held elsewhere and committed progress again " + ms + " ms after the kill");
    }, "failover-probe");
    if (timed) {
      waiter.start();
    }
    Thread.sleep(PAUSE.toMillis());
    instances.start(victim);
    say("Tally instance " + (victim + 1) + " restarted");
    if (timed) {
      waiter.join();
    }
  }

  /** An instance's stream threads in the group (their member ids) and the partitions they hold. */
  private record Holding(Set<String> members, Set<TopicPartition> partitions) {
  }

  /**
   * The instances whose stream threads the group has given partitions, by their client ids
   * ({@link TallyInstances#clientId}); empty when the group cannot be described.
   */
  private Map<Integer, Holding> holdings() {
    try {
      ConsumerGroupDescription group = group();
      Map<Integer, Holding> holdings = new HashMap<>();
      for (int i = 0; i < instances.size(); i++) {
        String prefix = TallyInstances.clientId(i) + "-";
        Set<String> members = new HashSet<>();
        Set<TopicPartition> partitions = new HashSet<>();
        for (MemberDescription member : group.members()) {
          if (member.clientId().startsWith(prefix)) {
            members.add(member.consumerId());
            partitions.addAll(member.assignment().topicPartitions());
          }
        }
        if (!partitions.isEmpty()) {
          holdings.put(i, new Holding(members, partitions));
        }
      }
      return holdings;
    } catch (ExecutionException | TimeoutException e) {
      return Map.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Map.of();
    }
  }

  /**
   * Milliseconds from {@code killedNanos} until the killed instance's partitions are all held by
   * other members of a stable group and each has committed progress since: the transaction the
   * instance had in flight may still commit after the kill, so progress alone proves nothing.
   */
  private long awaitTakeOver(Holding held, long killedNanos) {
    long deadline = killedNanos + TimeUnit.SECONDS.toNanos(180);
    Map<TopicPartition, Long> takenOver = null;
    while (System.nanoTime() < deadline) {
      try {
        if (takenOver == null) {
          ConsumerGroupDescription group = group();
          Set<TopicPartition> assigned = new HashSet<>();
          boolean gone = true;
          for (MemberDescription member : group.members()) {
            gone &= !held.members().contains(member.consumerId());
            assigned.addAll(member.assignment().topicPartitions());
          }
          if (group.groupState() == GroupState.STABLE && gone
              && assigned.containsAll(held.partitions())) {
            takenOver = committed();
          }
        } else {
          Map<TopicPartition, Long> now = committed();
          Map<TopicPartition, Long> from = takenOver;
          if (held.partitions().stream()
              .allMatch(p -> now.getOrDefault(p, -1L) > from.getOrDefault(p, -1L))) {
            return (System.nanoTime() - killedNanos) / 1_000_000;
          }
        }
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      } catch (Exception retry) {
        // the coordinator may be moving
      }
    }
    return -1;
  }

  private ConsumerGroupDescription group()
      throws ExecutionException, TimeoutException, InterruptedException {
    return admin.describeConsumerGroups(List.of(APPLICATION_ID)).all().get(10, TimeUnit.SECONDS)
        .get(APPLICATION_ID);
  }

  /**
   * The group's committed offsets on every partition its tasks read: the events topic and both
   * shuffles, so that each task, whichever stage, shows when it processes again (the shuffles carry
   * watermarks to every partition several times a second).
   */
  private Map<TopicPartition, Long> committed() throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(APPLICATION_ID)
        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
    Map<TopicPartition, Long> inputs = new HashMap<>();
    offsets.forEach((partition, offset) -> {
      if (offset != null) {
        inputs.put(partition, offset.offset());
      }
    });
    return inputs;
  }

  private void awaitGroup(int members) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      try {
        ConsumerGroupDescription group = group();
        if (group.groupState() == GroupState.STABLE && group.members().size() == members) {
          return;
        }
      } catch (ExecutionException notYet) {
        // the group exists once the first instance has joined
      }
      instances.checkForCrashes();
      if (instances.crashes() > 0) {
        throw new IllegalStateException("a Tally instance died while starting: " + instances.crashReports());
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("the Tally instances did not form a stable group of " + members);
  }

  private void awaitFinals(ResultWatcher watcher, Set<SeriesWindow> expected) throws InterruptedException {
    long quietLimit = scenario.windowMs() + scenario.graceMs() + 120_000;
    long deadline = System.currentTimeMillis() + quietLimit;
    while (System.currentTimeMillis() < deadline && !watcher.finals().keySet().containsAll(expected)) {
      instances.checkForCrashes();
      Thread.sleep(250);
    }
    // a second final of a window would come right after the first
    Thread.sleep(3_000);
    if (watcher.failure() != null) {
      throw new IllegalStateException("reading the results failed", watcher.failure());
    }
  }

  private interface Snapshot {
    Map<SeriesWindow, Reference.Expected> take();
  }

  /** Polls a sink until it equals the reference or the timeout passes; returns what it holds then. */
  private Map<SeriesWindow, Reference.Expected> awaitSink(String name,
      Map<SeriesWindow, Reference.Expected> expected, Snapshot snapshot) throws InterruptedException {
    long deadline = System.nanoTime() + SINK_TIMEOUT.toNanos();
    Map<SeriesWindow, Reference.Expected> last = Map.of();
    while (System.nanoTime() < deadline) {
      try {
        last = snapshot.take();
        if (last.equals(expected)) {
          return last;
        }
      } catch (RuntimeException notReachable) {
        last = Map.of();
      }
      Thread.sleep(500);
    }
    say(name + " still differs from the reference after " + SINK_TIMEOUT.toSeconds() + " s");
    return last;
  }

  /** {@code partition/offset -> reasons} of every dead letter, read_committed, to the end of the topic. */
  private Map<String, List<String>> deadLetters() {
    Map<String, List<String>> letters = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(DEAD_LETTERS).stream()
          .map(info -> new TopicPartition(DEAD_LETTERS, info.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
          && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> letter : consumer.poll(Duration.ofMillis(200))) {
          letters.computeIfAbsent(header(letter, DeadLetters.SOURCE_PARTITION) + "/"
              + header(letter, DeadLetters.SOURCE_OFFSET), key -> new ArrayList<>())
              .add(header(letter, DeadLetters.REASON));
        }
      }
    }
    return letters;
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? "?" : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static Set<KeyLayout.Series> seriesOf(Map<SeriesWindow, Reference.Expected> expected) {
    return expected.keySet().stream().map(w -> new KeyLayout.Series(w.product(), w.eventType()))
        .collect(Collectors.toSet());
  }

  private void stopServers() {
    for (AutoCloseable server : new AutoCloseable[] {instances, worker, admin, influx, redis, kafka}) {
      if (server != null) {
        try {
          server.close();
        } catch (Exception e) {
          say("stopping " + server + " failed: " + e);
        }
      }
    }
  }

  private void say(String line) {
    long seconds = (System.nanoTime() - startNanos) / 1_000_000_000L;
    synchronized (progress) {
      progress.printf("[reliability %4d s] %s%n", seconds, line);
    }
  }
}
