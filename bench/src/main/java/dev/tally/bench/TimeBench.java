package dev.tally.bench;

import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.topology.DeadLetters;
import dev.tally.topology.ResultSerdes;
import dev.tally.topology.TallyApp;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.Topics;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * How soon windows are final for the inputs that held them back under earlier time rules, with
 * Tally's default time settings (grace 10 s on 1-minute windows, idle timeout 5 s):
 * <ul>
 *   <li>a backlog whose partitions end at different event times (partition p of P holds the first
 *       (p + 1) / P of the span, null keys): seconds from its last record processed (the group's
 *       committed offsets at the ends, asked every 50 ms) to its last final result. The last event
 *       sits 1 ms before its window's end, so what is left is the grace, not the wall clock covering
 *       a partly filled minute;
 *   <li>live events from a transactional producer (transactions of 100 events, every tenth aborted),
 *       on 5-second windows with 1 s of grace: window end + grace until a read_committed consumer has
 *       the final, for the windows that closed while the traffic ran, and for the last window, which
 *       closes after it stopped.
 * </ul>
 * Both check every window's count against what was sent (committed).
 */
final class TimeBench {

  private static final long MINUTE = 60_000;
  private static final long SKEW_SPAN_MS = 8 * MINUTE;
  private static final long TX_WINDOW_MS = 5_000;
  private static final long TX_GRACE_MS = 1_000;
  private static final int TX_SIZE = 100;

  private final PrintStream log;
  private final int partitions;
  private final int series;
  private final int users;
  private final int threads;
  private final Map<String, String> overrides;

  /** One run of the skewed backlog: seconds from the last record processed to the last final. */
  record Skewed(double seconds, boolean exact) {
  }

  /** One run of the transactional input: final delays after window end + grace, in ms. */
  record Transactional(long p50, long p99, long max, long last, int finals, boolean exact) {
  }

  TimeBench(PrintStream log, int partitions, int series, int users, int threads,
      Map<String, String> overrides) {
    this.log = log;
    this.partitions = partitions;
    this.series = series;
    this.users = users;
    this.threads = threads;
    this.overrides = overrides;
  }

  Skewed skewedBacklog(String bootstrap, Path work, int run, int events) throws Exception {
    String id = "bench-skewed-" + run;
    createTopic(bootstrap, id + "-events");
    Map<String, Long> expected = new HashMap<>();
    long from = Instant.parse("2020-03-01T10:00:00Z").toEpochMilli();
    Random random = new Random(run);
    AtomicReference<Exception> failed = new AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap, null)) {
      int perPartition = events / partitions;
      for (int p = 0; p < partitions; p++) {
        long span = SKEW_SPAN_MS * (p + 1) / partitions;
        for (int i = 0; i < perPartition; i++) {
          long ms = from + (i == perPartition - 1 ? span - 1 : (long) i * span / perPartition);
          int s = random.nextInt(series);
          UserEvent event = new UserEvent(BenchCommand.product(s), BenchCommand.eventType(s),
              "user-" + s + "-" + random.nextInt(users), ms * 1_000_000L);
          producer.send(new ProducerRecord<>(id + "-events", p, null, EventDecoder.encodeAvro(event)),
              (metadata, e) -> {
                if (e != null) {
                  failed.compareAndSet(null, e);
                }
              });
          expected.merge(key(event.product(), event.eventType(), Math.floorDiv(ms, MINUTE) * MINUTE),
              1L, Long::sum);
        }
      }
    }
    if (failed.get() != null) {
      throw new IllegalStateException("The skewed backlog could not be written", failed.get());
    }
    try (TallyApp app = TallyApp.start(new TallyConfig(config(bootstrap, id, work, Map.of())));
        Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
        KafkaConsumer<MinuteKey, MinuteCount> results = results(bootstrap, id)) {
      Map<TopicPartition, Long> ends = ends(admin, id + "-events");
      Map<String, Long> finals = new HashMap<>();
      long processedAt = 0;
      long lastFinalAt = 0;
      long deadline = System.currentTimeMillis() + 600_000;
      long probed = 0;
      while (finals.size() < expected.size() && System.currentTimeMillis() < deadline) {
        if (processedAt == 0 && System.currentTimeMillis() - probed >= 50) {
          probed = System.currentTimeMillis();
          if (committedToEnd(admin, id, ends)) {
            processedAt = probed;
          }
        }
        for (ConsumerRecord<MinuteKey, MinuteCount> record : results.poll(Duration.ofMillis(20))) {
          MinuteCount value = record.value();
          if (value.getIsFinal()) {
            finals.put(key(value.getProduct(), value.getEventType(),
                value.getWindowStart().toEpochMilli()), value.getCount());
            lastFinalAt = System.currentTimeMillis();
          }
        }
      }
      Skewed result = new Skewed(processedAt == 0 || finals.size() < expected.size() ? Double.NaN
          : (lastFinalAt - processedAt) / 1e3, finals.equals(expected));
      log.printf("# skewed backlog, run %d: last final %.1f s after the last record processed, "
          + "%s%n", run, result.seconds(), result.exact() ? "every window exact" : "NOT EXACT");
      if (!result.exact()) {
        explain(bootstrap, id, expected, finals);
      }
      return result;
    }
  }

  /** Logs the windows whose final differs from what was sent, and the dead letters by reason. */
  private void explain(String bootstrap, String id, Map<String, Long> expected,
      Map<String, Long> finals) {
    Map<String, Long> all = new TreeMap<>(expected);
    finals.forEach(all::putIfAbsent);
    int differing = 0;
    for (String key : all.keySet()) {
      if (!Objects.equals(expected.get(key), finals.get(key)) && differing++ < 20) {
        log.printf("#   window %s: sent %s, final %s%n", key, expected.get(key), finals.get(key));
      }
    }
    log.printf("#   %,d windows differ; %,d events sent, %,d in finals%n", differing,
        expected.values().stream().mapToLong(Long::longValue).sum(),
        finals.values().stream().mapToLong(Long::longValue).sum());
    Map<String, Integer> reasons = new TreeMap<>();
    try (KafkaConsumer<byte[], byte[]> letters = BenchCommand.consumer(bootstrap,
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      letters.subscribe(List.of(id + "-dead-letters"));
      long until = System.currentTimeMillis() + 5_000;
      while (System.currentTimeMillis() < until) {
        for (ConsumerRecord<byte[], byte[]> letter : letters.poll(Duration.ofMillis(200))) {
          var reason = letter.headers().lastHeader(DeadLetters.REASON);
          String why = reason == null ? "?" : new String(reason.value(), StandardCharsets.UTF_8);
          if (reasons.merge(why, 1, Integer::sum) <= 3) {
            var message = letter.headers().lastHeader(DeadLetters.MESSAGE);
            log.printf("#   dead letter p%d@%d %s: %s%n", letter.partition(), letter.offset(), why,
                message == null ? "" : new String(message.value(), StandardCharsets.UTF_8));
          }
        }
      }
    }
    log.printf("#   dead letters by reason: %s%n", reasons);
  }

  Transactional transactional(String bootstrap, Path work, int run, int seconds, int rate)
      throws Exception {
    String id = "bench-transactional-" + run;
    createTopic(bootstrap, id + "-events");
    Map<String, Long> expected = new HashMap<>();
    Map<String, Long> delays = new HashMap<>();
    Map<String, Long> finals = new HashMap<>();
    try (TallyApp app = TallyApp.start(new TallyConfig(config(bootstrap, id, work, Map.of(
            TallyConfig.WINDOW_SIZE_MS, Long.toString(TX_WINDOW_MS),
            TallyConfig.WINDOW_GRACE_MS, Long.toString(TX_GRACE_MS)))));
        KafkaConsumer<MinuteKey, MinuteCount> results = results(bootstrap, id);
        KafkaProducer<byte[], byte[]> producer = producer(bootstrap, id + "-producer")) {
      app.awaitRunning(Duration.ofSeconds(60));
      producer.initTransactions();
      long start = System.currentTimeMillis();
      long until = start + seconds * 1000L;
      // the first window is partial and meets a cold JIT
      long firstClose = (start / TX_WINDOW_MS + 2) * TX_WINDOW_MS + TX_GRACE_MS;
      Random random = new Random(run);
      long sent = 0;
      for (int transaction = 0; System.currentTimeMillis() < until; transaction++) {
        boolean abort = transaction % 10 == 9;
        producer.beginTransaction();
        Map<String, Long> counts = new HashMap<>();
        for (int i = 0; i < TX_SIZE; i++, sent++) {
          long now = BenchCommand.awaitTurn(start, sent, rate);
          int s = random.nextInt(series);
          String user = "user-" + s + "-" + random.nextInt(users);
          UserEvent event = new UserEvent(BenchCommand.product(s), BenchCommand.eventType(s), user,
              now * 1_000_000L);
          producer.send(new ProducerRecord<>(id + "-events", user.getBytes(StandardCharsets.UTF_8),
              EventDecoder.encodeAvro(event)));
          counts.merge(key(event.product(), event.eventType(),
              Math.floorDiv(now, TX_WINDOW_MS) * TX_WINDOW_MS), 1L, Long::sum);
        }
        if (abort) {
          producer.abortTransaction();
        } else {
          producer.commitTransaction();
          counts.forEach((key, count) -> expected.merge(key, count, Long::sum));
        }
        poll(results, firstClose, finals, delays);
      }
      long deadline = System.currentTimeMillis() + 60_000;
      while (!finals.keySet().containsAll(measured(expected, firstClose))
          && System.currentTimeMillis() < deadline) {
        poll(results, firstClose, finals, delays);
      }
      long lastClose = expected.keySet().stream().mapToLong(TimeBench::windowOf).max().orElseThrow()
          + TX_WINDOW_MS + TX_GRACE_MS;
      List<Long> whileLive = new ArrayList<>();
      long last = -1;
      for (Map.Entry<String, Long> entry : delays.entrySet()) {
        long close = windowOf(entry.getKey()) + TX_WINDOW_MS + TX_GRACE_MS;
        if (close <= until) {
          whileLive.add(entry.getValue());
        } else if (close == lastClose) {
          last = Math.max(last, entry.getValue());
        }
      }
      Collections.sort(whileLive);
      boolean exact = true;
      for (String key : measured(expected, firstClose)) {
        exact &= expected.get(key).equals(finals.get(key));
      }
      Transactional result = whileLive.isEmpty() ? new Transactional(-1, -1, -1, last, 0, exact)
          : new Transactional(BenchCommand.percentile(whileLive, 0.5),
              BenchCommand.percentile(whileLive, 0.99),
              whileLive.get(whileLive.size() - 1), last, whileLive.size(), exact);
      log.printf("# transactional input, run %d: p50 %,d ms, p99 %,d ms, max %,d ms over %,d "
              + "finals; the last window %,d ms after end + grace; %s%n", run, result.p50(),
          result.p99(), result.max(), result.finals(), result.last(),
          exact ? "every window exact" : "NOT EXACT");
      return result;
    }
  }

  /** The table's rows, medians over the runs. */
  static String table(List<Skewed> skewed, List<Transactional> transactional, int partitions,
      int events, int seconds, int rate) {
    StringBuilder out = new StringBuilder();
    out.append("\n| time: how soon windows are final (Tally defaults: 1-minute windows, grace 10 s, "
        + "idle timeout 5 s) | median | each run | every window exact |\n|---|---:|---:|---:|\n");
    if (!skewed.isEmpty()) {
      double[] values = skewed.stream().mapToDouble(Skewed::seconds).toArray();
      out.append(String.format("| skewed backlog: %,d events, %d partitions ending 2, 4, ... %d "
              + "minutes into the span (null keys), seconds from the last record processed to the "
              + "last final | %.1f s | %s | %s |%n", events, partitions,
          SKEW_SPAN_MS / MINUTE, BenchCommand.median(values), join(values, "%.1f"),
          skewed.stream().allMatch(Skewed::exact) ? "yes" : "NO"));
    }
    if (!transactional.isEmpty()) {
      out.append(String.format("| transactional input: %,d events/s for %d s in transactions of "
              + "%d, every tenth aborted, 5-s windows, grace 1 s; window end + grace until the "
              + "final, p99 of the windows closed while traffic ran | %,d ms | %s | %s |%n", rate,
          seconds, TX_SIZE, median(transactional, Transactional::p99),
          join(transactional.stream().mapToDouble(Transactional::p99).toArray(), "%,.0f ms"),
          transactional.stream().allMatch(Transactional::exact) ? "yes" : "NO"));
      out.append(String.format("| transactional input: the same, p50 | %,d ms | %s | |%n",
          median(transactional, Transactional::p50),
          join(transactional.stream().mapToDouble(Transactional::p50).toArray(), "%,.0f ms")));
      out.append(String.format("| transactional input: the last window, closed after the traffic "
              + "stopped (quiet for the idle timeout) | %,d ms | %s | |%n",
          median(transactional, Transactional::last),
          join(transactional.stream().mapToDouble(Transactional::last).toArray(), "%,.0f ms")));
    }
    return out.toString();
  }

  private static long median(List<Transactional> runs,
      java.util.function.ToLongFunction<Transactional> figure) {
    return Math.round(BenchCommand.median(runs.stream().mapToLong(figure).asDoubleStream()
        .toArray()));
  }

  private static String join(double[] values, String format) {
    List<String> each = new ArrayList<>();
    for (double value : values) {
      each.add(String.format(format, value));
    }
    return String.join(", ", each);
  }

  private static List<String> measured(Map<String, Long> expected, long firstClose) {
    return expected.keySet().stream()
        .filter(key -> windowOf(key) + TX_WINDOW_MS + TX_GRACE_MS >= firstClose).toList();
  }

  private static void poll(KafkaConsumer<MinuteKey, MinuteCount> results, long firstClose,
      Map<String, Long> finals, Map<String, Long> delays) {
    for (ConsumerRecord<MinuteKey, MinuteCount> record : results.poll(Duration.ZERO)) {
      MinuteCount value = record.value();
      long close = value.getWindowEnd().toEpochMilli() + TX_GRACE_MS;
      if (value.getIsFinal() && close >= firstClose) {
        String key = key(value.getProduct(), value.getEventType(),
            value.getWindowStart().toEpochMilli());
        finals.put(key, value.getCount());
        delays.put(key, System.currentTimeMillis() - close);
      }
    }
  }

  private static String key(String product, String eventType, long windowStart) {
    return product + "|" + eventType + "|" + windowStart;
  }

  private static long windowOf(String key) {
    return Long.parseLong(key.substring(key.lastIndexOf('|') + 1));
  }

  private Map<String, String> config(String bootstrap, String id, Path work,
      Map<String, String> settings) {
    Map<String, String> config = BenchCommand.tallyConfig(bootstrap, id, id + "-events", partitions,
        threads, work);
    config.putAll(overrides);
    config.putAll(settings);
    return config;
  }

  private void createTopic(String bootstrap, String topic) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      Topics.create(admin, new NewTopic(topic, partitions, (short) 1)
          .configs(Map.of("retention.ms", "-1")));
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap, String transactionalId) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    if (transactionalId != null) {
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    }
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static KafkaConsumer<MinuteKey, MinuteCount> results(String bootstrap, String id) {
    KafkaConsumer<MinuteKey, MinuteCount> consumer = BenchCommand.consumer(bootstrap,
        ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteCount().deserializer());
    consumer.subscribe(List.of(id + "-results"));
    return consumer;
  }

  private static Map<TopicPartition, Long> ends(Admin admin, String topic) throws Exception {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (var info : admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
        .partitions()) {
      latest.put(new TopicPartition(topic, info.partition()), OffsetSpec.latest());
    }
    Map<TopicPartition, Long> ends = new HashMap<>();
    admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get()
        .forEach((partition, info) -> ends.put(partition, info.offset()));
    return ends;
  }

  private static boolean committedToEnd(Admin admin, String group, Map<TopicPartition, Long> ends)
      throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata().get();
    return ends.entrySet().stream().allMatch(end -> committed.get(end.getKey()) != null
        && committed.get(end.getKey()).offset() >= end.getValue());
  }
}
