package dev.tally.bench;

import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.topology.Topics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The benchmarks' backlog: Avro events from November 2026 (seed 42), {@code series} (product,
 * event_type) series drawn uniformly or by a Zipf law, each with {@code users} users, spread evenly
 * over {@code minutes} of event time (up to 2 s out of order), then one far-future event per partition
 * so that every window can close. Keyed by the username, or without keys (the producer's sticky
 * partitioning).
 *
 * @param compression the producer's {@code compression.type}: the topic keeps what the producer sent
 */
record Backlog(String topic, int events, int partitions, int series, int users, int minutes,
    String skew, boolean keyed, String compression) {

  static final long WINDOW_MS = 60_000;
  /** The product and event type of the far-future events, which no count includes. */
  static final String FLUSH_SERIES = "bench-flush";

  /** Every window's expected event count, by {@link #windowKey}, and the events in all. */
  record Expected(Map<String, Long> windows, long events) {

    /** Writes one {@code key TAB count} line per window, for a job in another JVM. */
    void write(Path file) throws IOException {
      List<String> lines = new ArrayList<>();
      new TreeMap<>(windows).forEach((key, count) -> lines.add(key + "\t" + count));
      Files.write(file, lines);
    }

    static Expected read(Path file) throws IOException {
      Map<String, Long> windows = new HashMap<>();
      long events = 0;
      for (String line : Files.readAllLines(file)) {
        String[] fields = line.split("\t");
        long count = Long.parseLong(fields[1]);
        windows.put(fields[0], count);
        events += count;
      }
      return new Expected(windows, events);
    }

    /** Events counted in windows whose final count is exactly right, plus the rest as they came. */
    long counted(Map<String, Long> finals) {
      long counted = 0;
      for (Map.Entry<String, Long> entry : finals.entrySet()) {
        if (windows.containsKey(entry.getKey())) {
          counted += Math.min(entry.getValue(), windows.get(entry.getKey()));
        }
      }
      return counted;
    }
  }

  /** {@code product|event_type|window start ms}. */
  static String windowKey(String product, String eventType, long windowStartMs) {
    return product + "|" + eventType + "|" + windowStartMs;
  }

  /** Records in the topic: the events and the far-future ones. */
  long records() {
    return (long) events + partitions;
  }

  /** Creates the topic and produces the backlog into it, logging progress to {@code log}. */
  Expected produce(String bootstrap, PrintStream log) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      // the events are dated in the past: time-based retention must not delete them mid-run
      Topics.create(admin, new NewTopic(topic, partitions, (short) 1)
          .configs(Map.of("retention.ms", "-1")));
    }
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
    Random random = new Random(42);
    double[] zipf = zipfWeights(series);
    long start = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();
    long span = minutes * 60_000L;
    Map<String, Long> windows = new HashMap<>();
    long begun = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props,
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < events; i++) {
        int s = skew.equals("zipf") ? pick(zipf, random.nextDouble()) : random.nextInt(series);
        String user = "user-" + s + "-" + random.nextInt(users);
        long ms = start + (long) i * span / events + random.nextInt(2_000);
        UserEvent event = new UserEvent("product-" + (s % 6), "type-" + s, user, ms * 1_000_000L);
        producer.send(new ProducerRecord<>(topic, null, ms,
            keyed ? user.getBytes(StandardCharsets.UTF_8) : null, EventDecoder.encodeAvro(event)));
        windows.merge(windowKey(event.product(), event.eventType(),
            Math.floorDiv(ms, WINDOW_MS) * WINDOW_MS), 1L, Long::sum);
        if (i % 500_000 == 0 && i > 0) {
          log.printf("# preloaded %,d of %,d events%n", i, events);
        }
      }
      for (int p = 0; p < partitions; p++) {
        long ms = start + span + 3_600_000L;
        producer.send(new ProducerRecord<>(topic, p, ms, null, EventDecoder.encodeAvro(
            new UserEvent(FLUSH_SERIES, FLUSH_SERIES, "flush", ms * 1_000_000L))));
      }
    }
    log.printf("# preloaded %,d events over %d partitions, %d series, %d windows in %.1f s%n",
        events, partitions, series, windows.size(), (System.nanoTime() - begun) / 1e9);
    return new Expected(windows, events);
  }

  /** One line for a results file: what the backlog's events are (not how they are keyed). */
  String describe() {
    return String.format("%,d Avro events, %d partitions, %s, %d series (%s), %d users per "
            + "series, %d minutes of event time", events, partitions,
        compression.equals("none") ? "uncompressed" : compression + "-compressed", series, skew,
        users, minutes);
  }

  private static double[] zipfWeights(int n) {
    double[] cumulative = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += 1.0 / (i + 1);
      cumulative[i] = sum;
    }
    for (int i = 0; i < n; i++) {
      cumulative[i] /= sum;
    }
    return cumulative;
  }

  private static int pick(double[] cumulative, double u) {
    int i = Arrays.binarySearch(cumulative, u);
    return Math.min(cumulative.length - 1, i >= 0 ? i : -i - 1);
  }
}
