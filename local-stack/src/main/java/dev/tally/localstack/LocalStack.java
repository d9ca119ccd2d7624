package dev.tally.localstack;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Everything Tally talks to, on 127.0.0.1: a Kafka broker (in this JVM), {@code redis-server}
 * and {@code influxd} (child processes). The {@code tally demo} command and the integration tests
 * of the other modules start it the same way:
 *
 * <pre>{@code
 * try (LocalStack stack = LocalStack.start(LocalStack.Options.defaults())) {
 *     stack.describe().forEach(System.out::println);
 *     String bootstrap = stack.kafka().bootstrapServers();
 * }
 * }</pre>
 *
 * <p>Servers start in the order Kafka, Redis, InfluxDB and stop in reverse. If one fails to start,
 * the ones already running are stopped before the exception propagates. A shutdown hook closes
 * the stack if the JVM exits first (Ctrl-C of the demo), so no child process outlives the JVM;
 * {@link #close()} may be called any number of times.
 *
 * <p>Directories: with a base directory the servers write into {@code kafka/}, {@code redis/} and
 * {@code influx/} under it, and everything is kept on close; without one each server uses a
 * temporary directory that close deletes.
 */
public final class LocalStack implements AutoCloseable {

  /**
   * Where the stack writes and listens.
   *
   * @param baseDir the parent of the servers' directories (kept on close), or {@code null} for
   *     temporary ones (deleted on close)
   * @param kafkaPort the Kafka PLAINTEXT port, 0 for a free one
   * @param redisPort the Redis port, 0 for a free one
   * @param influxPort the InfluxDB HTTP port, 0 for a free one
   */
  public record Options(Path baseDir, int kafkaPort, int redisPort, int influxPort) {

    /** Temporary directories and free ports. */
    public static Options defaults() {
      return new Options(null, 0, 0, 0);
    }

    public Options withBaseDir(Path dir) {
      return new Options(dir, kafkaPort, redisPort, influxPort);
    }

    public Options withKafkaPort(int port) {
      return new Options(baseDir, port, redisPort, influxPort);
    }

    public Options withRedisPort(int port) {
      return new Options(baseDir, kafkaPort, port, influxPort);
    }

    public Options withInfluxPort(int port) {
      return new Options(baseDir, kafkaPort, redisPort, port);
    }

    private Path dir(String name) {
      return baseDir == null ? null : baseDir.resolve(name);
    }
  }

  private final KafkaBroker kafka;
  private final RedisServer redis;
  private final InfluxServer influx;
  private final Thread shutdownHook;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final List<AutoCloseable> users = new ArrayList<>();

  private LocalStack(KafkaBroker kafka, RedisServer redis, InfluxServer influx) {
    this.kafka = kafka;
    this.redis = redis;
    this.influx = influx;
    this.shutdownHook = new Thread(this::closeServers, "stop-local-stack");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts Kafka, Redis and InfluxDB.
   *
   * @throws IllegalStateException if {@code redis-server} or {@code influxd} is missing (the
   *     message says what to install) or a server does not start
   */
  public static LocalStack start(Options options) {
    Objects.requireNonNull(options, "options");
    Commands.requireServers();
    List<AutoCloseable> started = new ArrayList<>();
    try {
      KafkaBroker kafka = KafkaBroker.start(options.dir("kafka"), options.kafkaPort());
      started.add(kafka);
      RedisServer redis = RedisServer.start(options.dir("redis"), options.redisPort());
      started.add(redis);
      InfluxServer influx = InfluxServer.start(options.dir("influx"), options.influxPort());
      started.add(influx);
      return new LocalStack(kafka, redis, influx);
    } catch (RuntimeException e) {
      closeInReverse(started, e);
      throw e;
    }
  }

  public KafkaBroker kafka() {
    return kafka;
  }

  public RedisServer redis() {
    return redis;
  }

  public InfluxServer influx() {
    return influx;
  }

  /**
   * Registers something that uses the stack (an application, a client) to be closed before the
   * servers, by {@link #close()} or by the shutdown hook, last registered first: a client closed
   * after its broker would wait for it until its timeouts.
   */
  public synchronized void closeFirst(AutoCloseable user) {
    users.add(Objects.requireNonNull(user, "user"));
  }

  /** One line per server saying where it listens, for a console or a log. */
  public List<String> describe() {
    return List.of(
        "Kafka     bootstrap.servers=" + kafka.bootstrapServers() + "  (in-process KRaft broker, data "
            + kafka.directory() + ")",
        "Redis     " + redis.uri() + "  (redis-server pid " + redis.pid() + ", dir " + redis.directory() + ")",
        "InfluxDB  " + influx.url() + "  (influxd pid " + influx.pid() + ", dir " + influx.directory() + ")");
  }

  /** Closes what {@link #closeFirst} registered, then stops InfluxDB, Redis and Kafka, in that order. Idempotent. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running: it closes the servers too
    }
    closeServers();
  }

  private void closeServers() {
    if (closed.compareAndSet(false, true)) {
      List<AutoCloseable> all;
      synchronized (this) {
        all = new ArrayList<>(List.of(kafka, redis, influx));
        all.addAll(users);
      }
      RuntimeException failure = closeInReverse(all, null);
      if (failure != null) {
        throw failure;
      }
    }
  }

  /** Closes each server, last started first, even if some fail; returns the first failure. */
  private static RuntimeException closeInReverse(List<? extends AutoCloseable> servers, RuntimeException pending) {
    RuntimeException failure = pending;
    for (int i = servers.size() - 1; i >= 0; i--) {
      try {
        servers.get(i).close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e instanceof RuntimeException re ? re : new IllegalStateException(e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    return failure;
  }

  @Override
  public String toString() {
    return String.join("\n", describe());
  }
}
