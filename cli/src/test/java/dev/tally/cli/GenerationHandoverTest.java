package dev.tally.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.localstack.KafkaBroker;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.topology.Handover;
import dev.tally.topology.ResultSerdes;
import dev.tally.topology.TallyApp;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.TallyMetrics;
import dev.tally.topology.Topics;
import dev.tally.topology.time.Windows;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The hand-over of docs/generations.md, as an operator runs it, on a real
 * broker: live traffic (event time = now) flows all along; generation 1 (2 aggregation partitions) is
 * restarted with {@code tally.generation.until=T}, {@code tally generation offsets} seeds generation 2
 * (4 aggregation partitions, {@code tally.generation.from=T}), {@code tally generation wait} says when
 * generation 1 may stop. Every window, on both sides of T, must have exactly one final result, equal to
 * the count computed from the produced events. Windows are 2 s, so T is about 25 s ahead.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GenerationHandoverTest {

  private static final long WINDOW_MS = 2_000;
  private static final long GRACE_MS = 500;
  private static final long NANOS_PER_MS = 1_000_000L;
  private static final String EVENTS = "gen-events";
  private static final String RESULTS = "gen-results";

  @TempDir
  Path dir;

  @Test
  void liveTrafficAcrossTheBoundaryHandsOverFromTwoToFourAggregationPartitions() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0)) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
        Topics.create(admin, new NewTopic(EVENTS, 3, (short) 1));
      }
      Map<String, String> old = settings(broker, "gen1", 2);
      Path oldFile = dir.resolve("gen1.properties");
      write(oldFile, old);
      Traffic traffic = new Traffic(broker.bootstrapServers());
      TallyApp first = TallyApp.start(new TallyConfig(old));
      TallyApp second = null;
      try {
        first.awaitRunning(Duration.ofSeconds(60));
        traffic.start();
        Thread.sleep(3 * WINDOW_MS);

        String plan = run("generation", "plan", "-c", oldFile.toString(), "--lead-seconds", "25",
            "--new-application-id", "gen2", "--new-aggregation-partitions", "4");
        Matcher planned = Pattern.compile("Boundary T = (\\d+)").matcher(plan);
        assertTrue(planned.find(), plan);
        long boundary = Long.parseLong(planned.group(1));
        assertEquals(0, boundary % WINDOW_MS, plan);
        assertTrue(plan.contains("tally.generation.until=" + boundary), plan);

        // the rolling restart of generation 1 (one instance here) with the boundary
        old.put(TallyConfig.GENERATION_UNTIL, Long.toString(boundary));
        write(oldFile, old);
        first.close();
        first = TallyApp.start(new TallyConfig(old));
        first.awaitRunning(Duration.ofSeconds(60));

        String offsets = run("generation", "offsets", "-c", oldFile.toString(),
            "--new-application-id", "gen2", "--margin-seconds", "2");
        assertTrue(offsets.contains("Offsets of gen2 set"), offsets);

        Map<String, String> next = settings(broker, "gen2", 4);
        next.put(TallyConfig.GENERATION_FROM, Long.toString(boundary));
        second = TallyApp.start(new TallyConfig(next));
        second.awaitRunning(Duration.ofSeconds(60));

        while (System.currentTimeMillis() < boundary + 3 * WINDOW_MS) {
          Thread.sleep(100);
        }
        traffic.stop();

        String waited = run("generation", "wait", "-c", oldFile.toString(), "--timeout-seconds", "90",
            "--interval-seconds", "1");
        assertTrue(waited.contains("Hand-over complete"), waited);
        first.close();

        Map<Long, Map<String, Count>> expected = traffic.expected();
        assertTrue(expected.keySet().stream().anyMatch(window -> window < boundary)
            && expected.keySet().stream().anyMatch(window -> window >= boundary + WINDOW_MS),
            "the traffic did not cross the boundary: " + expected.keySet());
        Map<Long, Map<String, List<MinuteCount>>> finals = readFinals(broker, expected);
        List<String> problems = new ArrayList<>();
        Set<Long> windows = new HashSet<>(expected.keySet());
        windows.addAll(finals.keySet());
        for (long window : windows) {
          Map<String, Count> want = expected.getOrDefault(window, Map.of());
          Map<String, List<MinuteCount>> got = finals.getOrDefault(window, Map.of());
          Set<String> series = new HashSet<>(want.keySet());
          series.addAll(got.keySet());
          for (String type : series) {
            List<MinuteCount> results = got.getOrDefault(type, List.of());
            Count count = want.get(type);
            String side = window < boundary ? "before T" : "from T";
            if (results.size() != 1) {
              problems.add(type + "@" + window + " (" + side + "): " + results.size() + " finals");
            } else if (count == null || results.get(0).getCount() != count.events
                || results.get(0).getUniqueUsers() != count.users.size()) {
              problems.add(type + "@" + window + " (" + side + "): got " + results.get(0).getCount()
                  + "/" + results.get(0).getUniqueUsers() + ", want " + count);
            }
          }
        }
        assertEquals(List.of(), problems, "boundary " + boundary);

        // generation 2 started at generation 1's offsets: it skipped exactly the events of windows
        // before T from there on, not every one since the beginning
        long startedAt = Pattern.compile(EVENTS + "-\\d+ (\\d+)").matcher(offsets).results()
            .mapToLong(match -> Long.parseLong(match.group(1))).sum();
        long beforeBoundary = expected.entrySet().stream().filter(entry -> entry.getKey() < boundary)
            .flatMap(entry -> entry.getValue().values().stream()).mapToLong(count -> count.events)
            .sum();
        assertTrue(startedAt > 0, offsets);
        assertEquals((double) (beforeBoundary - startedAt), skipped(second, "before"), offsets);
      } finally {
        traffic.stop();
        first.close();
        if (second != null) {
          second.close();
        }
      }
    }
  }

  @Test
  void anEventDatedPastTheBoundaryBeforeTheOffsetsIsRefused() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0);
        Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      Topics.create(admin, new NewTopic(EVENTS, 2, (short) 1));
      long boundary = Handover.boundaryAfter(System.currentTimeMillis(), 120_000,
          new Windows(WINDOW_MS, GRACE_MS));
      Map<String, String> old = settings(broker, "ahead", 2);
      old.put(TallyConfig.GENERATION_UNTIL, Long.toString(boundary));
      Path oldFile = dir.resolve("ahead.properties");
      write(oldFile, old);
      try (TallyApp app = TallyApp.start(new TallyConfig(old));
          KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
              ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
              new ByteArraySerializer(), new ByteArraySerializer())) {
        app.awaitRunning(Duration.ofSeconds(60));
        long now = System.currentTimeMillis();
        for (int i = 0; i < 20; i++) {
          send(producer, i % 2, new UserEvent("live", "type-0", "user-" + i, now * NANOS_PER_MS));
        }
        // a producer whose clock is ahead by more than the lead
        send(producer, 1, new UserEvent("live", "type-0", "user-x", (boundary + 1) * NANOS_PER_MS));
        send(producer, 1, new UserEvent("live", "type-0", "user-y", now * NANOS_PER_MS));
        producer.flush();
        awaitCommitted(admin, "ahead");

        Result refused = execute("generation", "offsets", "-c", oldFile.toString(),
            "--new-application-id", "ahead-2");
        assertEquals(1, refused.exit(), refused.out() + refused.err());
        assertTrue(refused.err().contains("has already seen an event at "
            + Instant.ofEpochMilli(boundary + 1) + " on input partition 1"), refused.err());
        assertEquals(1.0, skipped(app, "after"));
        assertTrue(admin.listConsumerGroupOffsets("ahead-2").partitionsToOffsetAndMetadata().get()
            .isEmpty(), "offsets set although refused");
      }
    }
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, int partition, UserEvent event)
      throws Exception {
    producer.send(new ProducerRecord<>(EVENTS, partition, event.username().getBytes(StandardCharsets.UTF_8),
        EventDecoder.encodeAvro(event))).get();
  }

  private static double skipped(TallyApp app, String side) {
    return app.streams().metrics().entrySet().stream()
        .filter(entry -> entry.getKey().group().equals(TallyMetrics.GROUP)
            && entry.getKey().name().equals(TallyMetrics.GENERATION_SKIPPED)
            && side.equals(entry.getKey().tags().get("side")))
        .mapToDouble(entry -> ((Number) entry.getValue().metricValue()).doubleValue()).sum();
  }

  private Map<String, String> settings(KafkaBroker broker, String applicationId, int partitions) {
    Map<String, String> settings = new HashMap<>();
    settings.put("bootstrap.servers", broker.bootstrapServers());
    settings.put("application.id", applicationId);
    settings.put("state.dir", dir.resolve("state-" + applicationId).toString());
    settings.put("commit.interval.ms", "100");
    // a restarted instance rejoins once its old self has been dropped from the group: 45 s by default
    settings.put("session.timeout.ms", "6000");
    settings.put("heartbeat.interval.ms", "1000");
    settings.put(TallyConfig.EVENTS_TOPIC, EVENTS);
    settings.put(TallyConfig.RESULTS_TOPIC, RESULTS);
    settings.put(TallyConfig.DEAD_LETTER_TOPIC, "gen-dead-letters");
    settings.put(TallyConfig.TOPIC_REPLICATION, "1");
    settings.put(TallyConfig.AGGREGATION_PARTITIONS, Integer.toString(partitions));
    settings.put(TallyConfig.WINDOW_SIZE_MS, Long.toString(WINDOW_MS));
    settings.put(TallyConfig.WINDOW_GRACE_MS, Long.toString(GRACE_MS));
    settings.put(TallyConfig.IDLE_TIMEOUT_MS, "1000");
    settings.put(TallyConfig.LIVE_INTERVAL_MS, "200");
    return settings;
  }

  private static void write(Path file, Map<String, String> settings) throws IOException {
    Properties properties = new Properties();
    properties.putAll(settings);
    try (Writer out = Files.newBufferedWriter(file)) {
      properties.store(out, null);
    }
  }

  /** Runs a command; fails on a non-zero exit code; returns what it printed. */
  private static String run(String... args) {
    Result result = execute(args);
    assertEquals(0, result.exit(), String.join(" ", args) + ": " + result.out() + result.err());
    return result.out();
  }

  private record Result(int exit, String out, String err) {
  }

  private static Result execute(String... args) {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    int exit;
    try {
      CommandLine line = Tally.commandLine();
      line.setErr(new PrintWriter(err, true));
      exit = line.execute(args);
    } finally {
      System.setOut(original);
    }
    return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString());
  }

  /** Waits until the generation has committed every record of the events topic's two partitions. */
  private static void awaitCommitted(Admin admin, String applicationId) throws Exception {
    Map<TopicPartition, OffsetSpec> latest = Map.of(new TopicPartition(EVENTS, 0), OffsetSpec.latest(),
        new TopicPartition(EVENTS, 1), OffsetSpec.latest());
    while (true) {
      long produced = admin.listOffsets(latest).all().get().values().stream()
          .mapToLong(ListOffsetsResultInfo::offset).sum();
      long done = admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get()
          .entrySet().stream().filter(entry -> entry.getKey().topic().equals(EVENTS))
          .mapToLong(entry -> entry.getValue().offset()).sum();
      if (done == produced) {
        return;
      }
      Thread.sleep(200);
    }
  }

  /** Final results by window and event type, read until every expected one is there and 2 s more. */
  private static Map<Long, Map<String, List<MinuteCount>>> readFinals(KafkaBroker broker,
      Map<Long, Map<String, Count>> expected) {
    int wanted = expected.values().stream().mapToInt(Map::size).sum();
    Map<Long, Map<String, List<MinuteCount>>> finals = new TreeMap<>();
    try (KafkaConsumer<MinuteKey, MinuteCount> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "gen-check",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteCount().deserializer())) {
      consumer.subscribe(List.of(RESULTS));
      long deadline = System.currentTimeMillis() + 60_000;
      long quietUntil = Long.MAX_VALUE;
      int seen = 0;
      while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
        for (ConsumerRecord<MinuteKey, MinuteCount> record : consumer.poll(Duration.ofMillis(200))) {
          MinuteCount value = record.value();
          if (value.getIsFinal()) {
            finals.computeIfAbsent(value.getWindowStart().toEpochMilli(), w -> new TreeMap<>())
                .computeIfAbsent(value.getEventType(), t -> new ArrayList<>()).add(value);
            seen++;
          }
        }
        if (seen >= wanted && quietUntil == Long.MAX_VALUE) {
          quietUntil = System.currentTimeMillis() + 2_000; // a second final would show by then
        }
      }
    }
    return finals;
  }

  /** The expected count of one window of one series. */
  private static final class Count {
    long events;
    final Set<String> users = new HashSet<>();

    @Override
    public String toString() {
      return events + "/" + users.size();
    }
  }

  /**
   * Live events, dated now or up to 300 ms before (within the grace), from 200 users and 3 event
   * types, into every partition, each one counted in the reference once the broker has it.
   */
  private static final class Traffic {
    private final KafkaProducer<byte[], byte[]> producer;
    private final Map<Long, Map<String, Count>> expected = new TreeMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private Thread thread;

    Traffic(String bootstrapServers) {
      producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
          ProducerConfig.ACKS_CONFIG, "all",
          ProducerConfig.LINGER_MS_CONFIG, "5"),
          new ByteArraySerializer(), new ByteArraySerializer());
    }

    void start() {
      running.set(true);
      thread = new Thread(this::produce, "gen-traffic");
      thread.start();
    }

    private void produce() {
      Random random = new Random(6);
      try {
        while (running.get()) {
          String user = "user-" + random.nextInt(200);
          String type = "type-" + random.nextInt(3);
          long ms = System.currentTimeMillis() - random.nextInt(300);
          UserEvent event = new UserEvent("live", type, user, ms * NANOS_PER_MS);
          producer.send(new ProducerRecord<>(EVENTS, user.getBytes(StandardCharsets.UTF_8),
              EventDecoder.encodeAvro(event)), (metadata, e) -> {
                if (e != null) {
                  failure.compareAndSet(null, e);
                } else {
                  synchronized (expected) {
                    Count count = expected.computeIfAbsent(Math.floorDiv(ms, WINDOW_MS) * WINDOW_MS,
                        w -> new TreeMap<>()).computeIfAbsent(type, t -> new Count());
                    count.events++;
                    count.users.add(user);
                  }
                }
              });
          Thread.sleep(2);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Stops sending, once everything sent is on the broker. */
    void stop() throws InterruptedException {
      if (thread != null && running.getAndSet(false)) {
        thread.join();
        producer.flush();
        producer.close();
      }
    }

    Map<Long, Map<String, Count>> expected() {
      assertEquals(null, failure.get(), "a send failed");
      synchronized (expected) {
        return expected;
      }
    }
  }
}
