package dev.tally.app;

import dev.tally.decode.Decoded;
import dev.tally.decode.EventDecoder;
import dev.tally.decode.Rejection;
import dev.tally.decode.UserEvent;
import dev.tally.topology.TallyConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Produces events from files or standard input: InfluxDB line protocol or JSON lines, written to the
 * events topic as Avro single-object records keyed by username (or the lines as they are, with
 * {@code --raw}).
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
    description = {"Produces events to the events topic from FILEs or standard input.",
        "Each line is InfluxDB line protocol or a JSON object, e.g.",
        "  event_type=rails-5xx,product=live value=testusername1 1478507534415525888",
        "  {\"event_type\":\"rails-5xx\",\"product\":\"live\",\"username\":\"u1\",\"timestamp\":1478507534415525888}",
        "Events are written as Avro single-object records keyed by username; lines that are not",
        "events are reported on stderr and skipped (exit code 1). With --raw, lines are sent as",
        "they are, unchecked, and Tally's own decoding deals with them."})
public final class ProduceCommand implements Callable<Integer> {

  private static final long PROGRESS_EVERY_MS = 2_000;

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--raw", description = "Send each line as it is, keyed by nothing.")
  boolean raw;

  @Option(names = "--quiet", description = "No progress lines.")
  boolean quiet;

  @Parameters(paramLabel = "FILE", arity = "0..*",
      description = "Files to read, '-' for standard input (the default).")
  List<String> files = List.of("-");

  @Override
  public Integer call() throws IOException, InterruptedException {
    TallyConfig settings = cluster.load();
    String topic = settings.getString(TallyConfig.EVENTS_TOPIC);
    Counts counts = new Counts();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(settings),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      EventDecoder decoder = new EventDecoder();
      for (String file : files) {
        try (BufferedReader reader = open(file)) {
          String line;
          long number = 0;
          while ((line = reader.readLine()) != null) {
            number++;
            if (line.isBlank() || line.startsWith("#")) {
              continue;
            }
            send(producer, decoder, topic, line, file, number, counts);
            counts.progress(System.err, quiet);
          }
        }
      }
      producer.flush();
    }
    Throwable failure = counts.failure.get();
    if (failure != null) {
      System.err.println("tally produce: failed to write to " + topic + ": " + failure.getMessage());
      return 2;
    }
    System.err.printf("tally produce: %d events written to %s, %d lines rejected%n",
        counts.sent.get(), topic, counts.rejected.get());
    return counts.rejected.get() == 0 ? 0 : 1;
  }

  private void send(KafkaProducer<byte[], byte[]> producer, EventDecoder decoder, String topic,
      String line, String file, long number, Counts counts) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    if (raw) {
      producer.send(new ProducerRecord<>(topic, null, bytes), counts.callback());
      return;
    }
    Decoded decoded = decoder.decode(bytes, System.currentTimeMillis());
    for (Rejection rejection : decoded.rejections()) {
      counts.rejected.incrementAndGet();
      System.err.printf("%s:%d: %s: %s%n", file.equals("-") ? "stdin" : file, number,
          rejection.reason().code(), rejection.message());
    }
    for (UserEvent event : decoded.events()) {
      producer.send(new ProducerRecord<>(topic, event.username().getBytes(StandardCharsets.UTF_8),
          EventDecoder.encodeAvro(event)), counts.callback());
    }
  }

  private static BufferedReader open(String file) throws IOException {
    if (file.equals("-")) {
      return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    }
    return Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
  }

  public static Properties producerProperties(TallyConfig settings) {
    Properties properties = new Properties();
    properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        String.join(",", settings.getList("bootstrap.servers")));
    properties.put(ProducerConfig.ACKS_CONFIG, "all");
    properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    properties.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    properties.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    return properties;
  }

  /** What has been sent, shared with the producer's callbacks. */
  private static final class Counts {
    final AtomicLong sent = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final long started = System.currentTimeMillis();
    private long lastProgress = started;

    org.apache.kafka.clients.producer.Callback callback() {
      return (metadata, exception) -> {
        if (exception == null) {
          sent.incrementAndGet();
        } else {
          failure.compareAndSet(null, exception);
        }
      };
    }

    void progress(PrintStream out, boolean quiet) {
      long now = System.currentTimeMillis();
      if (quiet || now - lastProgress < PROGRESS_EVERY_MS) {
        return;
      }
      lastProgress = now;
      long done = sent.get();
      out.printf("tally produce: %d events written (%.0f/s), %d lines rejected%n", done,
          done * 1000.0 / Math.max(1, now - started), rejected.get());
    }
  }
}
