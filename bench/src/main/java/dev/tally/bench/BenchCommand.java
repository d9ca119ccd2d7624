package dev.tally.bench;

import dev.tally.bench.Backlog.Expected;
import dev.tally.decode.EventDecoder;
import dev.tally.localstack.Commands;
import dev.tally.localstack.KafkaBroker;
import dev.tally.localstack.WorkDir;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.topology.ResultSerdes;
import dev.tally.topology.TallyApp;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.Topics;
import dev.tally.topology.aggregate.AggregateProcessor;
import dev.tally.topology.aggregate.Tallies;
import dev.tally.topology.wire.StoreKeys;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Catch-up throughput on a preloaded backlog, in one run: a plain consumer decoding the topic (the
 * ceiling), a Kafka Streams job that only decodes ({@link FloorJob}: Kafka Streams' own cost per record)
 * and Tally, each with every thread count (and with other settings, {@code --variant}), and the naive
 * Kafka Streams job, each with the number of events it counted; then the distinct-user state's
 * changelog and heap per (window, series, user) entry, the process's RSS, and the latency of final
 * results under a steady producer, to the results topic and, through the shipped connector
 * configurations, to Redis and InfluxDB. Runs on an in-process broker in this JVM (the sinks'
 * servers as child processes, their Connect worker in this JVM); writes Markdown tables.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Preloads a backlog of Avro events into an in-process broker, then times a plain "
        + "consumer, a decode-only Kafka Streams job, Tally and a naive Kafka Streams job catching up on it, and prints (and writes) "
        + "a table of events/s, ratios to the plain consumer, and events counted; then the state's "
        + "size, and the latency of final results under steady traffic to the results topic, Redis "
        + "and InfluxDB (the shipped sink configurations in a Connect worker; needs redis-server and "
        + "influxd unless --skip-sinks).")
public final class BenchCommand implements Callable<Integer> {

  private static final long WINDOW_MS = 60_000;
  private static final long GRACE_MS = 10_000;
  private static final String FLUSH_SERIES = Backlog.FLUSH_SERIES;
  private static final Duration NO_PROGRESS = Duration.ofSeconds(180);
  /** How often Tally's committed offsets are asked for, until its steady-state marks are seen. */
  private static final Duration PROBE_EVERY = Duration.ofMillis(50);
  /** The pause before each timed job, after a garbage collection. */
  private static final long SETTLE_MS = 2_000;
  private static final String FLOOR_JOB =
      "Kafka Streams floor (decode only, no state, no output), exactly_once_v2, ";

  @Option(names = "--events", defaultValue = "2000000", description = "Events to preload (default ${DEFAULT-VALUE}).")
  int events;

  @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the events topic (default ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--series", defaultValue = "48", description = "(product, event_type) series (default ${DEFAULT-VALUE}).")
  int series;

  @Option(names = "--users", defaultValue = "500", description = "Users per series (default ${DEFAULT-VALUE}).")
  int users;

  @Option(names = "--minutes", defaultValue = "30", description = "Event-time span in minutes (default ${DEFAULT-VALUE}).")
  int minutes;

  @Option(names = "--skew", defaultValue = "uniform", description = "Series distribution: uniform or zipf (default ${DEFAULT-VALUE}).")
  String skew;

  @Option(names = "--threads", defaultValue = "1,2", split = ",", description = "Stream thread counts to run Tally and the decode-only Kafka Streams job with (default ${DEFAULT-VALUE}).")
  int[] threads;

  @Option(names = "--runs", defaultValue = "1", description = "Repetitions; medians are reported (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "A Tally or Kafka Streams setting for the Tally runs, e.g. commit.interval.ms=1000.")
  Map<String, String> overrides = new HashMap<>();

  @Option(names = "--variant", paramLabel = "KEY=VALUE[;KEY=VALUE]",
      description = "Also runs Tally with the first thread count and these settings on top of --set, as "
          + "a row of its own: compares settings in one run. Repeatable.")
  List<String> variants = new ArrayList<>();

  @Option(names = "--latency-seconds", defaultValue = "60",
      description = "Seconds of steady traffic for the latency measurement; 0 skips it (default ${DEFAULT-VALUE}).")
  int latencySeconds;

  @Option(names = "--latency-rate", defaultValue = "5000",
      description = "Events per second of the latency measurement (default ${DEFAULT-VALUE}).")
  int latencyRate;

  @Option(names = "--time-events", defaultValue = "200000",
      description = "Events of the skewed backlog whose last final is timed (partitions ending at "
          + "different event times); 0 skips it (default ${DEFAULT-VALUE}).")
  int timeEvents;

  @Option(names = "--time-seconds", defaultValue = "30",
      description = "Seconds of live transactional traffic (aborts among it) whose final latency is "
          + "measured, at --latency-rate; 0 skips it (default ${DEFAULT-VALUE}).")
  int timeSeconds;

  @Option(names = "--skip-naive", description = "Do not run the naive Kafka Streams job.")
  boolean skipNaive;

  @Option(names = "--skip-sinks",
      description = "Measure latency to the results topic only: no redis-server, influxd and Connect "
          + "worker with the shipped Redis mirror and InfluxDB sink configurations.")
  boolean skipSinks;

  @Mixin
  BenchmarkFile resultsFile;

  private final PrintStream log = System.err;
  private final List<LatencyBench.LatencyRun> latencies = new ArrayList<>();
  private final List<TimeBench.Skewed> skewed = new ArrayList<>();
  private final List<TimeBench.Transactional> transactional = new ArrayList<>();

  /** Runs the benchmark without the rest of the tally command. */
  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new BenchCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (latencySeconds > 0 && !skipSinks) {
      Commands.requireServers(); // before the backlog, not after it
    }
    Path work = Files.createTempDirectory("tally-bench");
    Map<String, List<Result>> results = new java.util.LinkedHashMap<>();
    // the broker's log and the jobs' state: about a gigabyte per million events
    try (KafkaBroker broker = KafkaBroker.start(work.resolve("kafka"), 0)) {
      String bootstrap = broker.bootstrapServers();
      Expected expected = preload(bootstrap);
      for (int run = 1; run <= runs; run++) {
        log.printf("# run %d of %d%n", run, runs);
        settle();
        add(results, "plain consumer (decode only)", plainConsumer(bootstrap));
        for (int t : threads) {
          settle();
          add(results, FLOOR_JOB + threadsLabel(t), floor(bootstrap, run, work, t));
        }
        for (int t : threads) {
          settle();
          add(results, "Tally, exactly_once_v2, " + threadsLabel(t),
              tally(bootstrap, expected, t, run, work, Map.of()));
        }
        for (int v = 0; v < variants.size(); v++) {
          Map<String, String> settings = new java.util.LinkedHashMap<>();
          for (String setting : variants.get(v).split(";")) {
            String[] pair = setting.split("=", 2);
            settings.put(pair[0].trim(), pair[1].trim());
          }
          settle();
          add(results, "Tally, exactly_once_v2, " + threadsLabel(threads[0]) + ", "
              + String.join(", ", variants.get(v).split(";")),
              tally(bootstrap, expected, threads[0], run * 100 + v, work, settings));
        }
        if (!skipNaive) {
          settle();
          add(results, "naive Kafka Streams job, exactly_once_v2", naive(bootstrap, expected, run, work));
        }
        if (latencySeconds > 0) {
          latencies.add(new LatencyBench(log, partitions, series, users, threads[0], overrides,
              latencySeconds, latencyRate, skipSinks).run(bootstrap, run, work));
        }
        TimeBench time = new TimeBench(log, partitions, series, users, threads[0], overrides);
        if (timeEvents > 0) {
          settle();
          skewed.add(time.skewedBacklog(bootstrap, work, run, timeEvents));
        }
        if (timeSeconds > 0) {
          settle();
          transactional.add(time.transactional(bootstrap, work, run, timeSeconds, latencyRate));
        }
      }
    } finally {
      WorkDir.deleteRecursively(work);
    }
    long rss = residentBytes();
    String table = table(results) + "\n" + memoryTable(results, rss)
        + new LatencyBench(log, partitions, series, users, threads[0], overrides, latencySeconds,
            latencyRate, skipSinks).table(latencies)
        + (skewed.isEmpty() && transactional.isEmpty() ? "" : TimeBench.table(skewed, transactional,
            partitions, timeEvents, timeSeconds, latencyRate));
    System.out.println(table);
    resultsFile.write("pipeline", markdown(table), log);
    return 0;
  }

  /**
   * @param entries (window, series, user) entries the job held: the sum of its final distinct counts
   * @param changelogBytes bytes the job wrote to its distinct-user state's changelog
   * @param startupSeconds seconds until Kafka Streams was RUNNING (Tally), included in {@code seconds}
   */
  private record Result(double seconds, long counted, long entries, long changelogBytes,
      double startupSeconds, double steadySeconds) {
    Result(double seconds, long counted, double steadySeconds) {
      this(seconds, counted, 0, 0, Double.NaN, steadySeconds);
    }

    double rate(long events) {
      return events / seconds;
    }

    /** Events per second between 10% and 90% of the backlog read (NaN if not measured). */
    double steadyRate(long events) {
      return Progress.SHARE * events / steadySeconds;
    }
  }

  /**
   * When a job had read 10%, 90% and all of the backlog: its rate between the first two marks is its
   * steady state, without its start-up and without the way of the last records to the output; the
   * marks themselves, printed per run, show where a slow run lost its time.
   */
  static final class Progress {
    /** The share of the backlog between the first two marks. */
    static final double SHARE = 0.8;
    private final long total;
    private long first = -1;
    private long second = -1;
    private long all = -1;

    Progress(long total) {
      this.total = total;
    }

    /** {@code done} of the backlog's records read by {@code nanos} ({@link System#nanoTime()}). */
    void observe(long done, long nanos) {
      if (first < 0 && done * 10 >= total) {
        first = nanos;
      }
      if (second < 0 && done * 10 >= total * 9) {
        second = nanos;
      }
      if (all < 0 && done >= total) {
        all = nanos;
      }
    }

    /** Whether every mark has been seen. */
    boolean complete() {
      return all >= 0;
    }

    /** Seconds from the first mark to the second; NaN unless both were seen at different times. */
    double seconds() {
      return first < 0 || second <= first ? Double.NaN : (second - first) / 1e9;
    }

    /** When the marks were seen, in seconds from {@code begun} ({@link System#nanoTime()}). */
    String marks(long begun) {
      return String.format("10%% read at %s, 90%% at %s, all at %s", at(first, begun),
          at(second, begun), at(all, begun));
    }

    private static String at(long nanos, long begun) {
      return nanos < 0 ? "-" : String.format("%.1f s", (nanos - begun) / 1e9);
    }
  }

  static String threadsLabel(int threadCount) {
    return threadCount + " thread" + (threadCount > 1 ? "s" : "");
  }

  private static void add(Map<String, List<Result>> results, String name, Result result) {
    results.computeIfAbsent(name, n -> new ArrayList<>()).add(result);
  }

  /** The backlog every job reads: keyed by user, lz4-compressed. */
  private Expected preload(String bootstrap) throws Exception {
    return new Backlog("bench-events", events, partitions, series, users, minutes, skew, true, "lz4")
        .produce(bootstrap, log);
  }

  private Result plainConsumer(String bootstrap) {
    long total = events + partitions;
    long read = 0;
    long decoded = 0;
    EventDecoder decoder = new EventDecoder();
    Progress progress = new Progress(total);
    long begun = System.nanoTime();
    long done;
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        tps.add(new TopicPartition("bench-events", p));
      }
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      while (read < total) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          read++;
          decoded += decoder.decode(record.value(), record.timestamp()).events().size();
        }
        progress.observe(read, System.nanoTime());
      }
      // the last record read and decoded: closing the consumer (about 0.5 s) is not reading, and the
      // other jobs' clocks stop before they close too
      done = System.nanoTime();
    }
    Result result = new Result((done - begun) / 1e9, decoded - partitions, progress.seconds());
    log.printf("# plain consumer: %.1f s (%s)%n", result.seconds(), progress.marks(begun));
    return result;
  }

  private Result tally(String bootstrap, Expected expected, int threadCount, int run, Path work,
      Map<String, String> variant) throws Exception {
    String id = "bench-tally-" + threadCount + "-" + run;
    Map<String, String> config = tallyConfig(bootstrap, id, "bench-events", partitions, threadCount,
        work);
    config.putAll(overrides);
    config.putAll(variant);
    Progress progress = new Progress((long) events + partitions);
    long begun = System.nanoTime();
    try (TallyApp app = TallyApp.start(new TallyConfig(config));
        Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
        KafkaConsumer<MinuteKey, MinuteCount> results = consumer(bootstrap,
            ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteCount().deserializer())) {
      results.subscribe(List.of(id + "-results"));
      app.awaitRunning(Duration.ofSeconds(60));
      double startup = (System.nanoTime() - begun) / 1e9;
      Map<String, Long> finals = new HashMap<>();
      long entries = 0;
      long last = System.nanoTime();
      long done = begun;
      long probed = 0;
      while (finals.size() < expected.windows().size()
          && System.nanoTime() - last < NO_PROGRESS.toNanos()) {
        // the group's offsets move at each commit (every 300 ms by default); asking the broker for
        // them more often, or once all are committed, would only load the machine the job runs on
        if (!progress.complete() && System.nanoTime() - probed >= PROBE_EVERY.toNanos()) {
          probed = System.nanoTime();
          progress.observe(committed(admin, id), probed);
        }
        for (ConsumerRecord<MinuteKey, MinuteCount> record : results.poll(Duration.ofMillis(20))) {
          MinuteCount value = record.value();
          if (value.getIsFinal() && !value.getProduct().equals(FLUSH_SERIES)) {
            finals.put(value.getProduct() + "|" + value.getEventType() + "|"
                + value.getWindowStart().toEpochMilli(), value.getCount());
            entries += value.getUniqueUsers();
            last = System.nanoTime();
            done = last;
          }
        }
      }
      Result result = new Result((done - begun) / 1e9, expected.counted(finals), entries,
          topicBytes(bootstrap, id + "-" + AggregateProcessor.TALLIES_STORE + "-changelog"), startup,
          progress.seconds());
      log.printf("# Tally with %d thread(s)%s: %.1f s (running at %.1f s, %s), %,d of %,d events "
              + "counted%n", threadCount, variant.isEmpty() ? "" : ", " + variant, result.seconds(),
          startup, progress.marks(begun), result.counted(), expected.events());
      return result;
    }
  }

  /** The events topic's records that group {@code id} has committed as read. */
  private static long committed(Admin admin, String id) throws Exception {
    return admin.listConsumerGroupOffsets(id).partitionsToOffsetAndMetadata().get().entrySet()
        .stream().filter(e -> e.getKey().topic().equals("bench-events") && e.getValue() != null)
        .mapToLong(e -> e.getValue().offset()).sum();
  }

  /** A Kafka Streams job of the bench's own (not Tally): exactly_once_v2 from the earliest offset. */
  private static Properties plainStreamsProperties(String bootstrap, String id, Path work) {
    Properties props = new Properties();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, id);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    props.put(StreamsConfig.STATE_DIR_CONFIG, work.resolve(id).toString());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return props;
  }

  /**
   * {@link FloorJob}: from start until it has decoded every event (the flush events included, as the
   * plain consumer reads them), Kafka Streams' start-up included.
   */
  private Result floor(String bootstrap, int run, Path work, int threadCount)
      throws InterruptedException {
    String id = "bench-floor-" + threadCount + "-" + run;
    Properties props = plainStreamsProperties(bootstrap, id, work);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threadCount);
    LongAdder decoded = new LongAdder();
    long all = (long) events + partitions;
    long begun = System.nanoTime();
    try (KafkaStreams streams = new KafkaStreams(FloorJob.topology("bench-events", decoded), props)) {
      streams.start();
      long last = System.nanoTime();
      long seen = 0;
      Progress progress = new Progress(all);
      while (decoded.sum() < all && System.nanoTime() - last < NO_PROGRESS.toNanos()) {
        Thread.sleep(5);
        progress.observe(decoded.sum(), System.nanoTime());
        if (decoded.sum() > seen) {
          seen = decoded.sum();
          last = System.nanoTime();
        }
      }
      long done = System.nanoTime();
      Result result = new Result((done - begun) / 1e9, Math.min(decoded.sum(), events),
          progress.seconds());
      log.printf("# Kafka Streams floor with %d thread(s): %.1f s (%s), %,d of %,d events decoded%n",
          threadCount, result.seconds(), progress.marks(begun), decoded.sum(), all);
      streams.close(Duration.ofSeconds(30));
      return result;
    }
  }

  private Result naive(String bootstrap, Expected expected, int run, Path work) throws Exception {
    String id = "bench-naive-" + run;
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      Topics.create(admin, new NewTopic(id + "-out", partitions, (short) 1));
    }
    Properties props = plainStreamsProperties(bootstrap, id, work);
    long begun = System.nanoTime();
    try (KafkaStreams streams = new KafkaStreams(
        NaiveJob.topology("bench-events", id + "-out", WINDOW_MS, GRACE_MS), props);
        KafkaConsumer<String, String> out = consumer(bootstrap, new StringDeserializer(),
            new StringDeserializer())) {
      streams.start();
      out.subscribe(List.of(id + "-out"));
      Map<String, Long> finals = new HashMap<>();
      long last = System.nanoTime();
      long done = begun;
      // it may never emit every window (it drops late events): stop once it has been quiet a while
      while (finals.size() < expected.windows().size()
          && System.nanoTime() - last < NO_PROGRESS.toNanos()) {
        for (ConsumerRecord<String, String> record : out.poll(Duration.ofMillis(100))) {
          if (!record.key().startsWith(FLUSH_SERIES)) {
            finals.put(record.key(), Long.parseLong(record.value().split(",")[0]));
            last = System.nanoTime();
            done = last;
          }
        }
      }
      if (finals.isEmpty()) {
        done = System.nanoTime(); // nothing came out: it took all the time we gave it
      }
      Result result = new Result((done - begun) / 1e9, expected.counted(finals), Double.NaN);
      log.printf("# naive job: %.1f s, %,d of %,d events counted%n", result.seconds(),
          result.counted(), expected.events());
      streams.close(Duration.ofSeconds(30));
      return result;
    }
  }

  /** Bytes the broker holds for {@code topic}, over all its partitions. */
  private static long topicBytes(String bootstrap, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      List<Integer> brokers = admin.describeCluster().nodes().get().stream().map(Node::id).toList();
      long bytes = 0;
      for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions().get()
          .values()) {
        for (LogDirDescription dir : dirs.values()) {
          for (Map.Entry<TopicPartition, ReplicaInfo> replica : dir.replicaInfos().entrySet()) {
            if (replica.getKey().topic().equals(topic)) {
              bytes += replica.getValue().size();
            }
          }
        }
      }
      return bytes;
    }
  }

  /**
   * Heap of the aggregating stage's state per (window, series, user) entry: one million entries over
   * the backlog's series, in {@link Tallies} and in the changelog batches its logged store keeps (a
   * sorted map of the batches, as Kafka Streams' in-memory store holds them; flushed once per window),
   * measured as heap after GC before and after.
   */
  private double storeHeapPerEntry() {
    int entries = 1_000_000;
    int windows = Math.max(1, minutes);
    int usersPerTally = Math.max(1, entries / (series * windows));
    long before = heapAfterGc();
    java.util.NavigableMap<Bytes, byte[]> batches = new java.util.concurrent.ConcurrentSkipListMap<>();
    Tallies store = new Tallies(batches::put);
    long added = 0;
    for (int w = 0; w < windows; w++) {
      for (int s = 0; s < series; s++) {
        Bytes key = StoreKeys.windowSeries(w * WINDOW_MS, StoreKeys.series("product-" + (s % 6), "type-" + s));
        for (int u = 0; u < usersPerTally; u++) {
          store.add(key, "user-" + s + "-" + u);
          added++;
        }
      }
      store.flush();
    }
    long after = heapAfterGc();
    java.lang.ref.Reference.reachabilityFence(store);
    java.lang.ref.Reference.reachabilityFence(batches);
    return (double) (after - before) / added;
  }

  /**
   * Before each timed job: collects the garbage of the jobs before it and lets what they left
   * running (closing clients, the broker's log cleaner, the sinks' servers stopping) quieten, so
   * that no job pays for the one before it. Measured before this: the plain consumer, first in a
   * run, right after the last run's latency measurement, took 2.3 to 2.8 s in three runs of five
   * against 1.6 s in another.
   */
  private static void settle() throws InterruptedException {
    heapAfterGc();
    Thread.sleep(SETTLE_MS);
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** This process's resident set (the broker's included: it runs in this JVM), or -1 off Linux. */
  private static long residentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux: no figure
    }
    return -1;
  }

  static String product(int series) {
    return "product-" + (series % 6);
  }

  static String eventType(int series) {
    return "type-" + series;
  }

  static long percentile(List<Long> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
  }

  /**
   * Sleeps until the turn of event number {@code sent} of a producer that began at {@code startMs}
   * and sends {@code rate} events a second; the wall clock then.
   */
  static long awaitTurn(long startMs, long sent, int rate) throws InterruptedException {
    long due = startMs + sent * 1000 / rate;
    long now = System.currentTimeMillis();
    if (due > now) {
      Thread.sleep(due - now);
      now = System.currentTimeMillis();
    }
    return now;
  }

  private String memoryTable(Map<String, List<Result>> results, long rss) {
    StringBuilder out = new StringBuilder();
    out.append("| state and memory | value |\n|---|---:|\n");
    for (Map.Entry<String, List<Result>> entry : results.entrySet()) {
      List<Result> tally = entry.getValue().stream().filter(r -> r.entries() > 0).toList();
      if (!tally.isEmpty()) {
        double[] perEntry = tally.stream()
            .mapToDouble(r -> (double) r.changelogBytes() / r.entries()).toArray();
        out.append(String.format("| %s: distinct-user changelog, bytes written per (window, series, user)"
            + " entry (%,d entries) | %.1f |%n", entry.getKey(), tally.get(0).entries(),
            median(perEntry)));
      }
    }
    out.append(String.format("| aggregation store heap, bytes per (window, series, user) entry (1M "
        + "entries, measured alone) | %.0f |%n", storeHeapPerEntry()));
    out.append(String.format("| process RSS at the end (broker, bench and every job in one JVM) | %s |%n",
        rss < 0 ? "n/a" : String.format("%,d MiB", rss / (1024 * 1024))));
    return out.toString();
  }

  /** The middle value, or the mean of the two middle ones: with two runs, neither run alone. */
  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }

  /**
   * A benchmark's Tally: application {@code id} on the single broker at {@code bootstrap}, reading
   * {@code eventsTopic}, with results and dead letters in topics named after {@code id}, replication
   * 1, {@code partitions} aggregating partitions, {@code threads} stream threads and its state under
   * {@code stateDir}. Callers add their own settings to the (mutable) map.
   */
  static Map<String, String> tallyConfig(String bootstrap, String id, String eventsTopic,
      int partitions, int threads, Path stateDir) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("bootstrap.servers", bootstrap);
    config.put("application.id", id);
    config.put(TallyConfig.EVENTS_TOPIC, eventsTopic);
    config.put(TallyConfig.RESULTS_TOPIC, id + "-results");
    config.put(TallyConfig.DEAD_LETTER_TOPIC, id + "-dead-letters");
    config.put(TallyConfig.TOPIC_REPLICATION, "1");
    config.put(TallyConfig.AGGREGATION_PARTITIONS, Integer.toString(partitions));
    config.put("num.stream.threads", Integer.toString(threads));
    config.put("state.dir", stateDir.resolve(id).toString());
    return config;
  }

  static <K, V> KafkaConsumer<K, V> consumer(String bootstrap, Deserializer<K> keys,
      Deserializer<V> values) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-reader-" + System.nanoTime());
    return new KafkaConsumer<>(props, keys, values);
  }

  private static <V> KafkaConsumer<byte[], V> consumer(String bootstrap, Deserializer<V> values) {
    return consumer(bootstrap, new ByteArrayDeserializer(), values);
  }

  private String table(Map<String, List<Result>> results) {
    List<Result> ceiling = results.get("plain consumer (decode only)");
    StringBuilder out = new StringBuilder();
    out.append("| job | events/s (median) | vs plain consumer (median of the runs' ratios) "
        + "| events counted | seconds (median) | seconds of each run | of which start-up "
        + "| steady events/s (10% to 90% read, median) | steady vs plain consumer |\n");
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    ToDoubleFunction<Result> rate = r -> r.rate(events);
    ToDoubleFunction<Result> steady = r -> r.steadyRate(events);
    for (Map.Entry<String, List<Result>> entry : results.entrySet()) {
      List<Result> runs = entry.getValue();
      long counted = runs.stream().mapToLong(Result::counted).min().orElse(0);
      double startupMedian = median(runs, Result::startupSeconds);
      double steadyMedian = median(runs, steady);
      out.append(String.format(
          "| %s | %,.0f | %.2fx | %,d of %,d (%.1f%%) | %.1f | %s | %s | %s | %s |%n", entry.getKey(),
          median(runs, rate), medianRatio(runs, ceiling, rate), counted, (long) events,
          100.0 * counted / events, median(runs, Result::seconds),
          runs.stream().map(r -> String.format("%.1f", r.seconds())).collect(Collectors.joining(", ")),
          Double.isNaN(startupMedian) ? "" : String.format("%.1f", startupMedian),
          Double.isNaN(steadyMedian) ? "" : String.format("%,.0f", steadyMedian),
          Double.isNaN(steadyMedian) ? ""
              : String.format("%.2fx", medianRatio(runs, ceiling, steady))));
    }
    return out.toString();
  }

  /**
   * The median over runs of a job's {@code figure} over the plain consumer's in the same run: a slow
   * or fast run of the whole machine moves both.
   */
  private static double medianRatio(List<Result> runs, List<Result> ceiling,
      ToDoubleFunction<Result> figure) {
    if (runs.size() != ceiling.size()) { // a job given twice (--threads 1,1): no run-by-run pairs
      return median(runs, figure) / median(ceiling, figure);
    }
    double[] ratios = new double[runs.size()];
    for (int i = 0; i < ratios.length; i++) {
      ratios[i] = figure.applyAsDouble(runs.get(i)) / figure.applyAsDouble(ceiling.get(i));
    }
    return median(ratios);
  }

  private static double median(List<Result> results, ToDoubleFunction<Result> figure) {
    return median(results.stream().mapToDouble(figure).toArray());
  }

  private String markdown(String table) throws IOException {
    return "## Pipeline: throughput in one JVM, state, latency, time\n\n"
        + "Written by `./tally bench`; do not edit by hand.\n\n"
        + "- machine: " + Runtime.getRuntime().availableProcessors() + " cores, "
        + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB max heap, Java "
        + System.getProperty("java.version") + ", " + System.getProperty("os.name") + "\n"
        + "- date: " + Instant.now() + "\n"
        + String.format("- backlog: %,d Avro events, %d partitions, %d series (%s), %d users per "
            + "series, %d minutes of event time, 1-minute windows, grace 10 s%n", events, partitions,
            series, skew, users, minutes)
        + "- command: `./tally bench " + String.join(" ", resultsFile.ownArguments()) + "`\n"
        + "- one in-process KRaft broker in the same JVM; runs: " + runs + " (the first meets a cold "
        + "JIT: take the medians); the machine's cores may be shared with other work\n"
        + "- timing: from start to the last final result (Tally, naive) or the last record read "
        + "(plain consumer); Streams start-up included (until Kafka Streams is RUNNING: a new "
        + "application creates its internal topics, joins its group and initialises its "
        + "transactions; with several threads, the first tasks may already run before it is); "
        + "a job that emits nothing for 180 s is stopped and counted as it stands; before each "
        + "job, a garbage collection and a 2-s pause; steady: from "
        + "the time 10% of the backlog's records had been read until 90% had (Tally: committed as "
        + "read by its group, polled every 50 ms until all are, which move at each commit; the floor job: "
        + "decoded, every 5 ms), so "
        + "without start-up and without the last records' way to the results (the naive job: not "
        + "measured)\n"
        + "- state: bytes the broker holds for the distinct-user state's changelog (tombstones "
        + "included, before compaction) over the (window, series, user) entries (the sum of the final "
        + "distinct counts); heap of the aggregation store alone, after GC\n"
        + "- latency: a steady producer in this JVM stamps events with the wall clock; each final of "
        + "a window that closed while it ran, from window end + grace until a read_committed consumer "
        + "has it" + (skipSinks ? "" : LatencyBench.methodOfSinks()) + "\n"
        + "- time: Tally with the first thread count and its default time settings; a skewed "
        + "backlog of 8 minutes of 2020 (partition p of P holds the first (p + 1)/P of it, its last "
        + "event 1 ms before its window's end), from its last record processed (the group's "
        + "committed offsets at the ends, asked every 50 ms) to its last final; live events from a "
        + "transactional producer (transactions of 100, every tenth aborted), from window end + "
        + "grace until a read_committed consumer has the final; both check every window's count\n\n"
        + table;
  }
}
