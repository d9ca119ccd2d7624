package dev.tally.cli;

import dev.tally.app.ConfigOptions;
import dev.tally.app.ProduceCommand;
import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.localstack.LocalStack;
import dev.tally.localstack.WorkDir;
import dev.tally.topology.TallyApp;
import dev.tally.topology.TallyConfig;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Tally on a local stack: an in-process Kafka broker, {@code redis-server} and {@code influxd}, the
 * topology, sample traffic, and every closed minute printed in InfluxDB line protocol.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Starts a local stack on 127.0.0.1 (an in-process Kafka broker, redis-server and "
        + "influxd), runs Tally on it with the Redis mirror and the InfluxDB sink in an in-process "
        + "Kafka Connect worker, sends the worked example and a few minutes of synthetic events, "
        + "prints each closed minute in InfluxDB line protocol on stdout (everything else goes to "
        + "stderr), and reads the worked example's minute back from Redis and InfluxDB. It keeps "
        + "running for your own events until Ctrl-C, which stops everything it started.")
final class DemoCommand implements Callable<Integer> {

  @Option(names = "--kafka-port", defaultValue = "0", description = "Kafka port (default: a free one).")
  int kafkaPort;

  @Option(names = "--redis-port", defaultValue = "0", description = "Redis port (default: a free one).")
  int redisPort;

  @Option(names = "--influx-port", defaultValue = "0",
      description = "InfluxDB HTTP port (default: a free one).")
  int influxPort;

  @Option(names = "--dir", paramLabel = "DIR",
      description = "Keep the servers' data and Tally's state here (default: a temporary directory, "
          + "deleted on exit).")
  Path dir;

  @Option(names = "--minutes", defaultValue = "5",
      description = "Minutes of synthetic event time after the worked example (default: ${DEFAULT-VALUE}).")
  int minutes;

  @Option(names = "--no-sample", description = "Send no sample traffic.")
  boolean noSample;

  @Option(names = "--exit-when-done",
      description = "Exit once every sample minute has been printed, instead of waiting for Ctrl-C.")
  boolean exitWhenDone;

  @Mixin
  ConfigOptions config;

  @Override
  public Integer call() throws Exception {
    PrintStream info = System.err;
    info.println("# starting the local stack...");
    LocalStack stack = LocalStack.start(new LocalStack.Options(dir, kafkaPort, redisPort, influxPort));
    Path state = dir != null ? dir.resolve("state") : Files.createTempDirectory("tally-demo-state");
    if (dir == null) {
      stack.closeFirst(() -> WorkDir.deleteRecursively(state)); // closed after Tally, which is registered later
    }
    stack.describe().forEach(line -> info.println("# " + line));

    Map<String, String> defaults = new LinkedHashMap<>();
    defaults.put("application.id", "tally-demo");
    defaults.put(TallyConfig.TOPIC_REPLICATION, "1");
    defaults.put(TallyConfig.IDLE_TIMEOUT_MS, "2000");
    defaults.put("state.dir", state.toString());
    defaults.put("commit.interval.ms", "200");
    TallyConfig settings = config.load(defaults, stack.kafka().bootstrapServers());

    TallyApp app = TallyApp.start(settings);
    stack.closeFirst(app);
    app.awaitRunning(Duration.ofSeconds(60));
    String bootstrap = stack.kafka().bootstrapServers();
    ResultPrinter printer = new ResultPrinter(bootstrap,
        settings.getString(TallyConfig.RESULTS_TOPIC), System.out);
    stack.closeFirst(printer);
    printer.start();
    info.println("# Tally is running: events topic '" + settings.getString(TallyConfig.EVENTS_TOPIC)
        + "', results topic '" + settings.getString(TallyConfig.RESULTS_TOPIC)
        + "', dead-letter topic '" + settings.getString(TallyConfig.DEAD_LETTER_TOPIC) + "'");

    DemoSinks sinks = DemoSinks.start(stack, settings.getString(TallyConfig.RESULTS_TOPIC),
        settings.getString(TallyConfig.USERS_TOPIC), settings.getString(TallyConfig.RANGES_TOPIC),
        info);
    Map<String, SampleTraffic.Counts> expected = noSample ? Map.of()
        : sendSample(settings, bootstrap, info);
    info.println("# send your own events, e.g.:");
    info.println("#   echo 'event_type=rails-5xx,product=live value=me' | ./tally produce -b " + bootstrap);
    info.println("# each minute is printed once it is final (end + "
        + settings.getLong(TallyConfig.WINDOW_GRACE_MS) / 1000 + " s grace); Ctrl-C stops everything");
    info.println("# analysts: ./tally query series --redis 127.0.0.1:" + stack.redis().port()
        + " --password <tally-analyst's, from connectors/redis-sink/acl/users.acl>");

    boolean done = noSample || printer.await(expected.keySet(), Duration.ofSeconds(120));
    if (!done) {
      List<String> missing = expected.keySet().stream()
          .filter(window -> printer.printed(window) == null).toList();
      info.println("# not every sample minute was final within 120 s; missing " + missing.size()
          + " of " + expected.size() + " (product|event_type|window start): "
          + String.join(", ", missing.subList(0, Math.min(10, missing.size())))
          + (missing.size() > 10 ? ", ..." : ""));
    } else if (!noSample) {
      done = checkSample(expected, printer, info);
    }
    if (done && !noSample) {
      done = sinks.readBack("live", "rails-5xx", SampleTraffic.WORKED_EXAMPLE_MINUTE_MS, info,
          Duration.ofSeconds(60));
    }
    if (exitWhenDone) {
      stack.close();
      return done ? 0 : 1;
    }
    new CountDownLatch(1).await(); // until Ctrl-C: the stack's shutdown hook stops everything
    return 0;
  }

  /** Whether every sample minute's final result counts exactly what was sent; says which did not. */
  private static boolean checkSample(Map<String, SampleTraffic.Counts> expected,
      ResultPrinter printer, PrintStream info) {
    int wrong = 0;
    for (Map.Entry<String, SampleTraffic.Counts> window : expected.entrySet()) {
      SampleTraffic.Counts printed = printer.printed(window.getKey());
      if (!window.getValue().equals(printed)) {
        wrong++;
        info.println("# WRONG: " + window.getKey() + " was sent " + window.getValue()
            + " but its final result says " + printed);
      }
    }
    if (wrong == 0) {
      info.println("# every sample minute (" + expected.size()
          + " windows of a series) counts exactly what was sent");
      return true;
    }
    info.println("# " + wrong + " of " + expected.size() + " sample minutes were miscounted (see the "
        + "dead-letter topic and the log for late events)");
    return false;
  }

  /**
   * Sends the worked example as line protocol, then synthetic Avro events; returns what each window
   * of each series must count.
   */
  private Map<String, SampleTraffic.Counts> sendSample(TallyConfig settings, String bootstrap, PrintStream info) {
    long windowMs = settings.getLong(TallyConfig.WINDOW_SIZE_MS);
    String topic = settings.getString(TallyConfig.EVENTS_TOPIC);
    EventDecoder decoder = new EventDecoder();
    List<UserEvent> all = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
        ProduceCommand.producerProperties(settings), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (String line : SampleTraffic.WORKED_EXAMPLE) {
        UserEvent event = decoder.decode(line.getBytes(StandardCharsets.UTF_8), 0).events().get(0);
        all.add(event);
        producer.send(new ProducerRecord<>(topic, event.username().getBytes(StandardCharsets.UTF_8),
            line.getBytes(StandardCharsets.UTF_8)));
      }
      List<UserEvent> synthetic = SampleTraffic.synthetic(
          SampleTraffic.WORKED_EXAMPLE_MINUTE_MS + 60_000, minutes, 120, 42);
      for (UserEvent event : synthetic) {
        producer.send(new ProducerRecord<>(topic, event.username().getBytes(StandardCharsets.UTF_8),
            EventDecoder.encodeAvro(event)));
      }
      all.addAll(synthetic);
      producer.flush();
    }
    info.println("# sent the worked example (5 line-protocol records) and " + (all.size() - 5)
        + " synthetic events over " + minutes + " minutes of event time");
    return SampleTraffic.expected(all, windowMs);
  }
}
