package dev.tally.reliability;

import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.testkit.Reference;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The live event stream: events stamped with the wall clock (some a few seconds behind, out of order
 * within grace), in Avro, JSON and line protocol, some sent twice, with poison interleaved, all drawn
 * from the scenario's seed. An event enters the {@link Reference} only once Kafka has acknowledged it;
 * a poison record's or a late event's coordinates are kept, since the dead-letter topic must hold
 * each of them with its reason.
 */
final class Traffic implements AutoCloseable {

  private static final List<String> PRODUCTS = List.of("live", "automate", "app live", "pay,ments");
  private static final List<String> EVENT_TYPES =
      List.of("rails-5xx", "stuck_in_queue", "browser_error", "a=b c");
  /** Out-of-order events are at most this far behind the wall clock. */
  static final long MAX_JITTER_MS = 3_000;

  private final Scenario scenario;
  private final String topic;
  private final Reference reference;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Random random;
  private final Map<String, String> expectedLetters = new ConcurrentHashMap<>();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong poison = new AtomicLong();
  private final AtomicLong late = new AtomicLong();
  private volatile Throwable firstFailure;
  private volatile boolean stopping;
  private Thread thread;

  Traffic(String bootstrapServers, String topic, Scenario scenario, Reference reference) {
    this.scenario = scenario;
    this.topic = topic;
    this.reference = reference;
    this.random = new Random(scenario.seed());
    this.producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
        ProducerConfig.LINGER_MS_CONFIG, "5",
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "300000",
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000"),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Starts producing at the scenario's rate, on a thread of its own. */
  void start() {
    thread = new Thread(this::run, "traffic");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    long tickMs = 10;
    double perTick = scenario.eventsPerSecond() * tickMs / 1000.0;
    double owed = 0;
    long next = System.currentTimeMillis();
    while (!stopping) {
      owed += perTick;
      for (; owed >= 1; owed--) {
        sendOne();
      }
      next += tickMs;
      long sleep = next - System.currentTimeMillis();
      if (sleep > 0) {
        try {
          Thread.sleep(sleep);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private void sendOne() {
    long nowMs = System.currentTimeMillis();
    if (random.nextDouble() < scenario.poisonRate()) {
      Poison kind = Poison.values()[random.nextInt(Poison.values().length)];
      byte[] key = ("poison-" + random.nextInt(1000)).getBytes(StandardCharsets.UTF_8);
      poison.incrementAndGet();
      send(new ProducerRecord<>(topic, key, kind.bytes(random, nowMs)), null, kind.reason());
      return;
    }
    int series = random.nextInt(scenario.series());
    String product = product(series);
    String eventType = eventType(series);
    String user = "user-" + random.nextInt(scenario.usersPerSeries());
    long jitterMs = random.nextDouble() < 0.2 ? (long) (random.nextDouble() * MAX_JITTER_MS) : 0;
    long timestampNs = (nowMs - jitterMs) * 1_000_000L + random.nextInt(1_000_000);
    UserEvent event = new UserEvent(product, eventType, user, timestampNs);
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic,
        user.getBytes(StandardCharsets.UTF_8), encode(event, random.nextInt(10)));
    send(record, event, null);
    if (random.nextDouble() < scenario.duplicateRate()) {
      send(record, event, null);
    }
  }

  /** Avro mostly, then JSON and line protocol, as products send them. */
  private static byte[] encode(UserEvent event, int dice) {
    if (dice == 0) {
      return ("{\"event_type\": \"" + event.eventType() + "\", \"product\": \"" + event.product()
          + "\", \"username\": \"" + event.username() + "\", \"timestamp\": " + event.timestampNs() + "}")
          .getBytes(StandardCharsets.UTF_8);
    }
    if (dice == 1) {
      return ("event_type=" + tag(event.eventType()) + ",product=" + tag(event.product()) + " value=\""
          + event.username() + "\" " + event.timestampNs()).getBytes(StandardCharsets.UTF_8);
    }
    return EventDecoder.encodeAvro(event);
  }

  private static String tag(String value) {
    return value.replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ");
  }

  static String product(int series) {
    return PRODUCTS.get(series % PRODUCTS.size());
  }

  static String eventType(int series) {
    int index = series / PRODUCTS.size();
    String base = EVENT_TYPES.get(index % EVENT_TYPES.size());
    return index < EVENT_TYPES.size() ? base : base + "-" + index / EVENT_TYPES.size();
  }

  /**
   * Sends {@code count} events dated inside {@code windowStartMs}'s window, which must already be
   * final: each must come back as a {@code late} dead letter, and none may be counted.
   */
  void sendLate(long windowStartMs, int count) {
    for (int i = 0; i < count; i++) {
      int series = i % scenario.series();
      UserEvent event = new UserEvent(product(series), eventType(series), "late-" + i,
          (windowStartMs + i) * 1_000_000L);
      late.incrementAndGet();
      send(new ProducerRecord<>(topic, event.username().getBytes(StandardCharsets.UTF_8),
          EventDecoder.encodeAvro(event)), null, "late");
    }
  }

  /**
   * @param event the good event it carries (counted once acknowledged), or null
   * @param reason the dead-letter reason it must get, or null for a good event
   */
  private void send(ProducerRecord<byte[], byte[]> record, UserEvent event, String reason) {
    sent.incrementAndGet();
    Callback callback = (metadata, e) -> {
      if (e != null) {
        failed.incrementAndGet();
        if (firstFailure == null) {
          firstFailure = e;
        }
      } else if (event != null) {
        reference.add(event.product(), event.eventType(), event.username(), event.timestampNs());
      } else {
        expectedLetters.put(metadata.partition() + "/" + metadata.offset(), reason);
      }
    };
    producer.send(record, callback);
  }

  /** Stops producing and waits until every record sent is acknowledged or failed. */
  void stop() throws InterruptedException {
    stopping = true;
    if (thread != null) {
      thread.join();
    }
    producer.flush();
  }

  /** {@code partition/offset -> reason} of every record that must be a dead letter. */
  Map<String, String> expectedDeadLetters() {
    return Map.copyOf(expectedLetters);
  }

  long sent() {
    return sent.get();
  }

  /** Sends Kafka never acknowledged: such an event may or may not be in the topic. */
  long failed() {
    return failed.get();
  }

  long poison() {
    return poison.get();
  }

  long late() {
    return late.get();
  }

  Throwable firstFailure() {
    return firstFailure;
  }

  @Override
  public void close() {
    stopping = true;
    producer.close(Duration.ofSeconds(10));
  }

  /** The series names of a scenario, for the checks. */
  static List<String[]> allSeries(int count) {
    List<String[]> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      all.add(new String[] {product(i), eventType(i)});
    }
    return all;
  }
}
