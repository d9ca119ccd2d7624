package dev.tally.bench;

import dev.tally.decode.EventDecoder;
import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.topology.ResultSerdes;
import dev.tally.topology.TallyApp;
import dev.tally.topology.TallyConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One job of {@link CatchUpCommand}, in a JVM of its own: reads the whole backlog and prints one
 * {@code RESULT} line with the wall-clock times (epoch ms) at which it started (-1: with the JVM),
 * was running and was done. Tally is done at the poll that brought its last final result
 * (read_committed), the plain consumer at its last record decoded. With {@code --warm} the job runs
 * twice in the same JVM (the second time as a new application) and reports the second run.
 */
@Command(name = "catchup-job", mixinStandardHelpOptions = true,
    description = "One job of the catch-up benchmark (run by `tally catchup`, one fresh JVM per job): "
        + "reads the backlog to its end, then prints RESULT started=EPOCH_MS running=EPOCH_MS "
        + "done=EPOCH_MS counted=EVENTS.")
public final class CatchUpJob implements Callable<Integer> {

  private static final Duration NO_PROGRESS = Duration.ofSeconds(180);

  @Option(names = "--job", required = true, description = "plain or tally.")
  String job;

  @Option(names = "--bootstrap", required = true, description = "The broker.")
  String bootstrap;

  @Option(names = "--topic", defaultValue = "bench-events", description = "The backlog's topic.")
  String topic;

  @Option(names = "--partitions", required = true, description = "Partitions of the topic.")
  int partitions;

  @Option(names = "--expected", required = true, description = "The backlog's windows and counts (a file).")
  Path expectedFile;

  @Option(names = "--threads", defaultValue = "1", description = "Tally's stream threads.")
  int threads;

  @Option(names = "--id", required = true, description = "Tally's application id.")
  String id;

  @Option(names = "--state-dir", required = true, description = "Tally's state directory.")
  Path stateDir;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A Tally setting.")
  List<String> settings = new ArrayList<>();

  @Option(names = "--warm", description = "Run the job once to warm the JVM up, then again; report the second run.")
  boolean warm;

  /** When a run started (-1: with the JVM), was running and was done, and what it counted. */
  private record Run(long started, long running, long done, long counted) {
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new CatchUpJob()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Backlog.Expected expected = Backlog.Expected.read(expectedFile);
    if (!job.equals("plain") && !job.equals("tally")) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--job is plain or tally, not " + job);
    }
    Run run = run(expected, warm ? id + "-warmup" : id);
    if (warm) {
      long started = System.currentTimeMillis();
      Run again = run(expected, id);
      run = new Run(started, again.running(), again.done(), again.counted());
    }
    System.out.printf("RESULT started=%d running=%d done=%d counted=%d%n", run.started(),
        run.running(), run.done(), run.counted());
    return 0;
  }

  private Run run(Backlog.Expected expected, String applicationId) throws Exception {
    return job.equals("plain") ? plain(expected) : tally(expected, applicationId);
  }

  /** A plain consumer that decodes every event: the ceiling. */
  private Run plain(Backlog.Expected expected) {
    long running = System.currentTimeMillis();
    long total = expected.events() + partitions;
    long read = 0;
    long decoded = 0;
    EventDecoder decoder = new EventDecoder();
    try (KafkaConsumer<byte[], byte[]> consumer = BenchCommand.consumer(bootstrap,
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < this.partitions; p++) {
        partitions.add(new TopicPartition(topic, p));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (read < total) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          read++;
          decoded += decoder.decode(record.value(), record.timestamp()).events().size();
        }
      }
      return new Run(-1, running, System.currentTimeMillis(), decoded - this.partitions);
    }
  }

  /** Tally from its start to the last final. */
  private Run tally(Backlog.Expected expected, String id) throws Exception {
    Map<String, String> config = BenchCommand.tallyConfig(bootstrap, id, topic, partitions, threads,
        stateDir);
    for (String setting : settings) {
      String[] pair = setting.split("=", 2);
      config.put(pair[0], pair[1]);
    }
    try (TallyApp app = TallyApp.start(new TallyConfig(config));
        KafkaConsumer<MinuteKey, MinuteCount> results = BenchCommand.consumer(bootstrap,
            ResultSerdes.minuteKey().deserializer(), ResultSerdes.minuteCount().deserializer())) {
      results.subscribe(List.of(id + "-results"));
      app.awaitRunning(Duration.ofSeconds(60));
      long running = System.currentTimeMillis();
      Map<String, Long> finals = new HashMap<>();
      long done = running;
      long last = System.nanoTime();
      while (finals.size() < expected.windows().size()
          && System.nanoTime() - last < NO_PROGRESS.toNanos()) {
        for (ConsumerRecord<MinuteKey, MinuteCount> record : results.poll(Duration.ofMillis(20))) {
          MinuteCount value = record.value();
          if (value.getIsFinal() && !value.getProduct().equals(Backlog.FLUSH_SERIES)) {
            finals.put(Backlog.windowKey(value.getProduct(), value.getEventType(),
                value.getWindowStart().toEpochMilli()), value.getCount());
            last = System.nanoTime();
            done = System.currentTimeMillis();
          }
        }
      }
      return new Run(-1, running, done, expected.counted(finals));
    }
  }
}
