package dev.tally.cli;

import dev.tally.connect.redis.KeyLayout;
import dev.tally.connect.redis.RedisEndpoint;
import dev.tally.connect.redis.query.MirrorReader;
import dev.tally.connect.redis.query.QueryOptions;
import dev.tally.connect.redis.query.Table;
import dev.tally.localstack.ConnectWorker;
import dev.tally.localstack.LocalStack;
import dev.tally.localstack.ShippedConnectors;
import dev.tally.topology.Topics;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import redis.clients.jedis.Jedis;

/**
 * The demo's two sinks: the shipped Redis mirror and InfluxDB sink configurations
 * ({@code connectors/config/}), pointed at the local stack, in an in-process Connect worker; and the
 * read-back that shows their results where analysts and dashboards find them.
 */
final class DemoSinks {

  static final Path ACL = ShippedConnectors.inRepository(Path.of("connectors", "redis-sink", "acl", "users.acl"));
  static final String DATABASE = "tally";
  /** The sample's minutes are from 2016: keep them, unlike the 7-day production default. */
  private static final String DEMO_RETENTION_MS = Long.toString(Duration.ofDays(365L * 30).toMillis());

  private final LocalStack stack;
  private final String analystPassword;

  private DemoSinks(LocalStack stack, String analystPassword) {
    this.stack = stack;
    this.analystPassword = analystPassword;
  }

  /**
   * Starts the worker (closed with the stack) and both connectors, reading the given results topic
   * (and the Redis mirror the users topic, the InfluxDB sink the ranges topic, when set).
   */
  static DemoSinks start(LocalStack stack, String resultsTopic, String usersTopic,
      String rangesTopic, PrintStream info) {
    Map<String, String> passwords = loadAcl(stack);
    stack.influx().createDatabase(DATABASE);
    ConnectWorker worker = ConnectWorker.start(stack.kafka().bootstrapServers(), null);
    stack.closeFirst(worker);

    Map<String, String> redis = ShippedConnectors.load("redis-sink.properties");
    redis.put("topics", topics(resultsTopic, usersTopic));
    redis.put("redis.hosts", "127.0.0.1:" + stack.redis().port());
    redis.put("redis.retention.ms", DEMO_RETENTION_MS);
    redis.put("errors.deadletterqueue.topic.replication.factor", "1");
    if (passwords.isEmpty()) {
      redis.remove("redis.user");
      redis.remove("redis.password");
    }

    Map<String, String> influx = ShippedConnectors.load("influxdb-sink.properties");
    influx.put("topics", topics(resultsTopic, rangesTopic));
    influx.put("influx.url", stack.influx().url());
    influx.put("influx.database", DATABASE);
    influx.put("errors.deadletterqueue.topic.replication.factor", "1");
    // Connect creates a missing dead-letter topic itself, but logs an ERROR first
    createTopics(stack.kafka().bootstrapServers(), redis.get("errors.deadletterqueue.topic.name"),
        influx.get("errors.deadletterqueue.topic.name"));
    worker.createConnector(redis.remove("name"), redis);
    worker.createConnector(influx.remove("name"), influx);
    info.println("# Kafka Connect (in-process) " + worker.restUrl()
        + ": the Redis mirror and the InfluxDB sink are running");
    return new DemoSinks(stack, passwords.get("tally-analyst"));
  }

  /**
   * Prints one minute of one series as the mirror (read-only analyst user) and InfluxDB have it,
   * waiting until both have its final value.
   *
   * @return whether both had it in time
   */
  boolean readBack(String product, String eventType, long windowStartMs, PrintStream info,
      Duration timeout) throws InterruptedException {
    RedisEndpoint endpoint = QueryOptions.endpoint(null,
        Map.of("redis.hosts", "127.0.0.1:" + stack.redis().port()),
        analystPassword == null ? "default" : "tally-analyst", analystPassword);
    String query = "SELECT \"value\" FROM \"unique_user_event\", \"cumulative_user_event\" WHERE "
        + "\"product\" = '" + product + "' AND \"event_type\" = '" + eventType + "' AND time = "
        + windowStartMs * 1_000_000L;
    long deadline = System.nanoTime() + timeout.toNanos();
    String redisTable = "";
    String influxJson = "";
    while (System.nanoTime() < deadline) {
      try (MirrorReader reader = MirrorReader.open(endpoint, "tally:")) {
        Table table = reader.range(new KeyLayout.Series(product, eventType),
            windowStartMs, windowStartMs);
        redisTable = Table.Format.TABLE.render(table);
      } catch (RuntimeException notYet) {
        redisTable = "";
      }
      influxJson = stack.influx().query(DATABASE, query);
      if (redisTable.contains("true") && influxJson.contains("cumulative_user_event")
          && influxJson.contains("unique_user_event")) {
        info.println("# read back from Redis (./tally query range " + product + " " + eventType
            + " --redis 127.0.0.1:" + stack.redis().port() + " --from " + windowStartMs + " --to "
            + windowStartMs + "):");
        redisTable.lines().forEach(line -> info.println("#   " + line));
        info.println("# read back from InfluxDB (" + query + "):");
        info.println("#   " + influxJson.strip());
        return true;
      }
      Thread.sleep(250);
    }
    info.println("# not in Redis and InfluxDB within " + timeout.toSeconds() + " s; Redis: "
        + redisTable + " InfluxDB: " + influxJson);
    return false;
  }

  /** The shipped ACL users, set on the demo's Redis; their passwords by user. */
  private static Map<String, String> loadAcl(LocalStack stack) {
    Map<String, String> passwords = new HashMap<>();
    if (!Files.exists(ACL)) {
      return passwords; // run from elsewhere than the repository: the default user it is
    }
    try (Jedis jedis = new Jedis("127.0.0.1", stack.redis().port())) {
      for (String line : Files.readAllLines(ACL)) {
        String[] words = line.trim().split("\\s+");
        if (words.length < 3 || !words[0].equals("user")) {
          continue;
        }
        jedis.aclSetUser(words[1], Arrays.copyOfRange(words, 2, words.length));
        Arrays.stream(words).filter(word -> word.startsWith(">")).findFirst()
            .ifPresent(password -> passwords.put(words[1], password.substring(1)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + ACL, e);
    }
    return passwords;
  }

  /** Creates the topics that do not exist yet, with one partition each. */
  private static void createTopics(String bootstrapServers, String... names) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      Set<String> existing = admin.listTopics().names().get();
      Topics.create(admin, Arrays.stream(names)
          .filter(name -> name != null && !existing.contains(name))
          .map(name -> new NewTopic(name, 1, (short) 1)).toArray(NewTopic[]::new));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create the sinks' dead-letter topics: " + e.getCause(), e);
    }
  }

  /** A connector's topics: the results topic, and the other one when set. */
  private static String topics(String resultsTopic, String other) {
    return other.isEmpty() ? resultsTopic : resultsTopic + "," + other;
  }
}
