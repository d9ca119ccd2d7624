package dev.tally.bench.flink;

import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The job a Flink user would write for Tally's counts, run by {@code ./tally catchup --flink} in a
 * JVM of its own: a bounded {@code KafkaSource} over the backlog (per-partition watermarks with a
 * bounded out-of-orderness equal to Tally's grace, on the records' timestamps, which are the events'
 * times), the events decoded with Tally's decoder, keyed by series, one-minute tumbling event-time
 * windows, the count and the exact distinct users (a set per window), on a local mini-cluster of the
 * given parallelism. Prints the same {@code RESULT} line as {@code CatchUpJob}: when the job was
 * submitted, when its last window result came, and the events counted in windows whose count is
 * right. With {@code warm}, the job runs twice in this JVM and the second run is reported.
 *
 * <p>Arguments: {@code BOOTSTRAP TOPIC EXPECTED_FILE PARALLELISM [warm]}.
 */
public final class FlinkCatchUpJob {

  /** The far-future events that let the last windows close; no count includes them. */
  private static final String FLUSH_SERIES = "bench-flush";
  private static final long GRACE_MS = 10_000;

  private FlinkCatchUpJob() {
  }

  /** One decoded event: its series ({@code product|event_type}) and user. */
  public static final class Event {
    public String series;
    public String user;

    public Event() {
    }

    Event(String series, String user) {
      this.series = series;
      this.user = user;
    }
  }

  /** One window's result. */
  public static final class Result {
    public String series;
    public long windowStart;
    public long count;
    public long uniqueUsers;

    public Result() {
    }

    Result(String series, long windowStart, long count, long uniqueUsers) {
      this.series = series;
      this.windowStart = windowStart;
      this.count = count;
      this.uniqueUsers = uniqueUsers;
    }
  }

  /** Count and distinct users of one window of one series. */
  public static final class Tally {
    public long count;
    public HashSet<String> users = new HashSet<>();
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4 || args.length > 5 || args[0].equals("--help") || args[0].equals("-h")) {
      System.err.println("Usage: FlinkCatchUpJob BOOTSTRAP TOPIC EXPECTED_FILE PARALLELISM [warm]");
      System.exit(args.length == 1 ? 0 : 2);
    }
    String bootstrap = args[0];
    String topic = args[1];
    Map<String, Long> expected = expected(Path.of(args[2]));
    int parallelism = Integer.parseInt(args[3]);
    boolean warm = args.length == 5 && args[4].equals("warm");
    long started = -1;
    if (warm) {
      run(bootstrap, topic, expected, parallelism);
      started = System.currentTimeMillis();
    }
    long[] run = run(bootstrap, topic, expected, parallelism);
    System.out.printf("RESULT started=%d running=%d done=%d counted=%d%n", started, run[0], run[1],
        run[2]);
    System.exit(0);
  }

  /** One run of the job: when it was submitted, when its last result came, what it counted. */
  private static long[] run(String bootstrap, String topic, Map<String, Long> expected,
      int parallelism) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(parallelism);
    KafkaSource<byte[]> source = KafkaSource.<byte[]>builder()
        .setBootstrapServers(bootstrap)
        .setTopics(topic)
        .setGroupId("flink-catchup-" + System.nanoTime())
        .setStartingOffsets(OffsetsInitializer.earliest())
        .setBounded(OffsetsInitializer.latest())
        .setDeserializer(KafkaRecordDeserializationSchema.valueOnly(ByteArrayDeserializer.class))
        .build();
    long submitted = System.currentTimeMillis();
    long done = submitted;
    Map<String, Long> finals = new HashMap<>();
    try (CloseableIterator<Result> results = env
        .fromSource(source, WatermarkStrategy.<byte[]>forBoundedOutOfOrderness(
            Duration.ofMillis(GRACE_MS)), "events")
        .flatMap(new Decode())
        .keyBy(event -> event.series)
        .window(TumblingEventTimeWindows.of(Duration.ofMinutes(1)))
        .aggregate(new CountDistinct(), new WithWindow())
        .executeAndCollect("tally-catchup")) {
      while (results.hasNext()) {
        Result result = results.next();
        if (!result.series.startsWith(FLUSH_SERIES + "|")) {
          finals.put(result.series + "|" + result.windowStart, result.count);
          done = System.currentTimeMillis();
        }
      }
    }
    long counted = 0;
    for (Map.Entry<String, Long> entry : finals.entrySet()) {
      Long want = expected.get(entry.getKey());
      if (want != null) {
        counted += Math.min(want, entry.getValue());
      }
    }
    return new long[] {submitted, done, counted};
  }

  /** {@code product|event_type|window start ms TAB count} lines, as the catch-up bench writes them. */
  private static Map<String, Long> expected(Path file) throws java.io.IOException {
    Map<String, Long> windows = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      String[] fields = line.split("\t");
      windows.put(fields[0], Long.parseLong(fields[1]));
    }
    return windows;
  }

  /** Decodes a record into its events (one for Avro); bad records are dropped. */
  private static final class Decode implements FlatMapFunction<byte[], Event> {
    private transient EventDecoder decoder;

    @Override
    public void flatMap(byte[] value, Collector<Event> out) {
      if (decoder == null) {
        decoder = new EventDecoder();
      }
      for (UserEvent event : decoder.decode(value, 0L).events()) {
        out.collect(new Event(event.product() + "|" + event.eventType(), event.username()));
      }
    }
  }

  private static final class CountDistinct implements AggregateFunction<Event, Tally, Tally> {
    @Override
    public Tally createAccumulator() {
      return new Tally();
    }

    @Override
    public Tally add(Event event, Tally tally) {
      tally.count++;
      tally.users.add(event.user);
      return tally;
    }

    @Override
    public Tally getResult(Tally tally) {
      return tally;
    }

    @Override
    public Tally merge(Tally a, Tally b) {
      a.count += b.count;
      a.users.addAll(b.users);
      return a;
    }
  }

  private static final class WithWindow
      extends ProcessWindowFunction<Tally, Result, String, TimeWindow> {
    @Override
    public void process(String series, Context context, Iterable<Tally> tallies,
        Collector<Result> out) {
      for (Tally tally : tallies) {
        out.collect(new Result(series, context.window().getStart(), tally.count,
            tally.users.size()));
      }
    }
  }
}
