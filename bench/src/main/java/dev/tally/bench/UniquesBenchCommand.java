package dev.tally.bench;

import dev.tally.connect.redis.KeyLayout;
import dev.tally.connect.redis.KeyLayout.Series;
import dev.tally.connect.redis.RedisSinkConfig;
import dev.tally.connect.redis.RedisSinkTask;
import dev.tally.connect.redis.query.MirrorReader;
import dev.tally.localstack.RedisServer;
import dev.tally.localstack.WorkDir;
import dev.tally.schema.MinuteKey;
import dev.tally.schema.MinuteUsers;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.sink.SinkRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import redis.clients.jedis.UnifiedJedis;

/**
 * What distinct users over ranges cost: the users topic's bytes per (series, minute), the Redis
 * mirror's bytes for its HyperLogLogs, the sink's PFADD rate, and the time of a range query for a day
 * and a week, against a real redis-server.
 */
@Command(name = "bench-uniques", mixinStandardHelpOptions = true,
    description = "Writes DAYS of generated users-topic records (SERIES series, a skewed population "
        + "of users repeating across minutes, split over 4 aggregating partitions) through the Redis "
        + "sink into a redis-server it starts, then reports the users topic's bytes per (series, "
        + "minute), Redis's memory for the HyperLogLogs, the sink's PFADD elements/s, and the time of "
        + "'tally query uniques' over a day and a week (whole and ragged), with the estimate's error "
        + "against the exact count. Writes its section of the results file with --output.")
public final class UniquesBenchCommand implements Callable<Integer> {

  private static final long MINUTE = 60_000L;
  private static final long DAY = 86_400_000L;
  private static final int PARTITIONS = 4;

  @Option(names = "--series", defaultValue = "12", description = "Series (default ${DEFAULT-VALUE}).")
  int series;

  @Option(names = "--days", defaultValue = "7", description = "Days of minutes (default ${DEFAULT-VALUE}).")
  int days;

  @Option(names = "--users-per-minute", defaultValue = "100",
      description = "Events per series and minute, from a skewed population (default ${DEFAULT-VALUE}).")
  int usersPerMinute;

  @Option(names = "--population", defaultValue = "50000", description = "Distinct users in all (default ${DEFAULT-VALUE}).")
  int population;

  @Option(names = "--queries", defaultValue = "20", description = "Times each query runs; the median is reported (default ${DEFAULT-VALUE}).")
  int queries;

  @Mixin
  BenchmarkFile resultsFile;

  private final PrintStream log = System.err;

  @Override
  public Integer call() throws Exception {
    Path work = Files.createTempDirectory("tally-bench-uniques");
    long firstDay = Math.floorDiv(System.currentTimeMillis(), DAY) * DAY - days * DAY;
    Random random = new Random(11);
    StringBuilder table = new StringBuilder();
    try (RedisServer redis = RedisServer.start(work.resolve("redis"), 0)) {
      Map<String, String> settings = Map.of("topics", "minute-users",
          "redis.hosts", "127.0.0.1:" + redis.port(),
          RedisSinkConfig.RETENTION_MS, Long.toString((days + 30L) * DAY),
          RedisSinkConfig.ON_PERMANENT_FAILURE, "fail");
      RedisSinkTask task = new RedisSinkTask();
      task.start(settings);
      // the exact users of series 0, per minute, to check the estimates against
      List<Set<Long>> exact = new ArrayList<>();
      long recordBytes = 0;
      long elements = 0;
      long records = 0;
      long writeNanos = 0;
      long offset = 0;
      List<SinkRecord> batch = new ArrayList<>();
      for (int minute = 0; minute < days * 1440; minute++) {
        long windowStart = firstDay + minute * MINUTE;
        for (int s = 0; s < series; s++) {
          Set<Long> users = new HashSet<>();
          for (int i = 0; i < usersPerMinute; i++) {
            double r = random.nextDouble();
            users.add(hash(s, (long) (population * r * r * r)));
          }
          if (s == 0) {
            exact.add(users);
          }
          List<List<Long>> byPartition = new ArrayList<>();
          for (int p = 0; p < PARTITIONS; p++) {
            byPartition.add(new ArrayList<>());
          }
          for (long user : users) {
            byPartition.get((int) Math.floorMod(user, (long) PARTITIONS)).add(user);
          }
          for (int p = 0; p < PARTITIONS; p++) {
            if (byPartition.get(p).isEmpty()) {
              continue;
            }
            Instant start = Instant.ofEpochMilli(windowStart);
            MinuteUsers value = new MinuteUsers("product-" + s, "type-" + s, start, start.plusMillis(MINUTE), p,
                byPartition.get(p));
            byte[] key = bytes(new MinuteKey(value.getProduct(), value.getEventType(), start).toByteBuffer());
            byte[] bytes = bytes(value.toByteBuffer());
            recordBytes += key.length + bytes.length;
            elements += byPartition.get(p).size();
            records++;
            batch.add(new SinkRecord("minute-users", 0, Schema.OPTIONAL_BYTES_SCHEMA, key,
                Schema.OPTIONAL_BYTES_SCHEMA, bytes, offset++));
          }
        }
        if (batch.size() >= 500 || minute == days * 1440 - 1) {
          long started = System.nanoTime();
          task.put(batch);
          writeNanos += System.nanoTime() - started;
          batch.clear();
        }
        if (minute % 1440 == 1439) {
          log.printf("# day %d of %d written: %,d records, %,d elements, %.1f s in the sink%n",
              minute / 1440 + 1, days, records, elements, writeNanos / 1e9);
        }
      }
      task.stop();

      long minutes = (long) days * 1440;
      table.append("| what | value |\n|---|---:|\n");
      table.append(String.format("| users topic: bytes per (series, minute), key and value, %d partitions' records | %,.0f |%n",
          PARTITIONS, (double) recordBytes / (series * minutes)));
      table.append(String.format("| users topic: bytes per user hash | %.1f |%n", (double) recordBytes / elements));
      table.append(String.format("| Redis sink: PFADD elements/s (each element into its minute, hour and day) | %,.0f |%n",
          elements / (writeNanos / 1e9)));
      KeyLayout layout = new KeyLayout(KeyLayout.DEFAULT_PREFIX);
      Series first = new Series("product-0", "type-0");
      try (UnifiedJedis admin = new UnifiedJedis(new redis.clients.jedis.HostAndPort("127.0.0.1", redis.port()))) {
        long minuteKey = admin.memoryUsage(layout.uniquesKey(first, KeyLayout.Span.WINDOW, firstDay));
        long hourKey = admin.memoryUsage(layout.uniquesKey(first, KeyLayout.Span.HOUR, firstDay));
        long dayKey = admin.memoryUsage(layout.uniquesKey(first, KeyLayout.Span.DAY, firstDay));
        long total = 0;
        for (String key : admin.keys(KeyLayout.DEFAULT_PREFIX + "uniques:*")) {
          total += admin.memoryUsage(key);
        }
        table.append(String.format("| Redis: bytes of one minute's / hour's / day's HyperLogLog (MEMORY USAGE) | %,d / %,d / %,d |%n",
            minuteKey, hourKey, dayKey));
        table.append(String.format("| Redis: bytes per (series, minute), all HyperLogLogs and series sets | %,.0f |%n",
            (double) total / (series * minutes)));
      }
      try (MirrorReader reader = MirrorReader.open(RedisSinkConfig.parse(settings).endpoint(), KeyLayout.DEFAULT_PREFIX)) {
        long lastDay = firstDay + (days - 1) * DAY;
        query(table, reader, first, exact, firstDay, "a day, whole (1 key)", lastDay, lastDay + DAY - MINUTE);
        query(table, reader, first, exact, firstDay, "a day, ragged (from 00:01 to 23:58)", lastDay + MINUTE,
            lastDay + DAY - 2 * MINUTE);
        if (days >= 2) {
          query(table, reader, first, exact, firstDay, "1,440 minutes from 12:30", lastDay - DAY / 2 + 30 * MINUTE,
              lastDay + DAY / 2 + 29 * MINUTE);
        }
        if (days >= 7) {
          query(table, reader, first, exact, firstDay, "a week, whole days", lastDay - 6 * DAY, lastDay + DAY - MINUTE);
          query(table, reader, first, exact, firstDay, "a week, ragged", lastDay - 6 * DAY + 17 * MINUTE,
              lastDay + DAY - 41 * MINUTE);
        }
      }
    } finally {
      WorkDir.deleteRecursively(work);
    }
    String text = table.toString();
    System.out.println(text);
    resultsFile.write("uniques", markdown(text), log);
    return 0;
  }

  private void query(StringBuilder table, MirrorReader reader, Series series, List<Set<Long>> exact,
      long firstDay, String name, long fromMs, long toMs) {
    long[] nanos = new long[queries];
    long estimate = 0;
    for (int i = 0; i < queries; i++) {
      long started = System.nanoTime();
      estimate = Long.parseLong(reader.uniques(series, fromMs, toMs).rows().get(0).get(4));
      nanos[i] = System.nanoTime() - started;
    }
    Arrays.sort(nanos);
    Set<Long> union = new HashSet<>();
    for (long m = (fromMs - firstDay) / MINUTE; m <= (toMs - firstDay) / MINUTE; m++) {
      union.addAll(exact.get((int) m));
    }
    int keys = reader.uniquesKeys(series, fromMs, toMs).size();
    table.append(String.format("| query: %s, %d keys: median time; estimate against exact | %.2f ms; %,d against %,d (%+.2f%%) |%n",
        name, keys, nanos[queries / 2] / 1e6, estimate, union.size(), 100.0 * (estimate - union.size()) / union.size()));
  }

  /** A user of series {@code s}'s population as a 64-bit hash (users differ across series). */
  private static long hash(int s, long user) {
    long h = (s * 0x9E3779B97F4A7C15L) ^ (user * 0xC2B2AE3D27D4EB4FL);
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    return h;
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  private String markdown(String table) {
    List<String> args = resultsFile.ownArguments();
    return "## Distinct users over ranges: what the users topic and the HyperLogLogs cost\n\n"
        + "Written by `./tally bench-uniques`; do not edit by hand.\n\n"
        + "- machine: " + Runtime.getRuntime().availableProcessors() + " cores, Java "
        + System.getProperty("java.version") + ", " + System.getProperty("os.name") + "\n"
        + "- date: " + Instant.now() + "\n"
        + "- command: `./tally bench-uniques " + String.join(" ", args) + "`\n"
        + "- data: " + days + " days of minutes, " + series + " series, " + usersPerMinute + " events per series "
        + "and minute from a population of " + String.format("%,d", population) + " users (skewed: a few "
        + "users most of the time, so users repeat across minutes), each minute's distinct users split over "
        + PARTITIONS + " aggregating partitions as Tally's users topic carries them; written through the "
        + "Redis sink (`RedisSinkTask.put`, batches of about 500 records) into a redis-server child process "
        + "on loopback, the sink and this benchmark in one JVM\n"
        + "- queries: `tally query uniques`'s reader (`MirrorReader.uniques`: one PFCOUNT over the range's "
        + "keys) as the admin user, " + queries + " times each, median; the estimate against the exact "
        + "union of the range's users\n\n"
        + table;
  }
}
