package dev.tally.connect.redis;

import static dev.tally.connect.redis.Minutes.MINUTE;
import static dev.tally.connect.redis.Minutes.fin;
import static dev.tally.connect.redis.Minutes.live;
import static dev.tally.connect.redis.Minutes.minuteAgo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.connect.redis.KeyLayout.Series;
import dev.tally.connect.redis.RedisSinkConfig.Mode;
import dev.tally.localstack.Ports;
import dev.tally.schema.MinuteCount;
import dev.tally.testkit.RecordingSinkTaskContext;
import dev.tally.testkit.RedisProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisSentinelClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The suite through Sentinel (a master, two replicas, three Sentinels), every batch waiting for a
 * replica's acknowledgement ({@code redis.wait.replicas=1}); then the master is killed in the
 * middle of the writes, and no final value may be lost.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
final class SentinelRedisSinkTest extends RedisSinkSuite {

  private static final String MASTER = "tally";
  private static final Path DIR = Path.of("target", "redis-sentinel-" + System.nanoTime());
  private static final List<RedisProcess> PROCESSES = new ArrayList<>();
  private static RedisProcess master;
  private static List<Integer> sentinelPorts;
  private static UnifiedJedis admin;

  @BeforeAll
  static void startSentinels() {
    List<Integer> ports = Ports.free(6);
    int masterPort = ports.get(0);
    master = RedisProcess.server(DIR.resolve("master"), masterPort, List.of());
    PROCESSES.add(master);
    List<RedisProcess> replicas = new ArrayList<>();
    for (int port : ports.subList(1, 3)) {
      RedisProcess replica = RedisProcess.server(DIR.resolve("replica-" + port), port,
          List.of("--replicaof", "127.0.0.1", Integer.toString(masterPort)));
      replicas.add(replica);
      PROCESSES.add(replica);
    }
    sentinelPorts = ports.subList(3, 6);
    for (int port : sentinelPorts) {
      PROCESSES.add(RedisProcess.sentinel(DIR.resolve("sentinel-" + port), port, String.join("\n",
          "port " + port,
          "bind 127.0.0.1",
          "daemonize no",
          "dir " + DIR.resolve("sentinel-" + port).toAbsolutePath(),
          "sentinel monitor " + MASTER + " 127.0.0.1 " + masterPort + " 2",
          "sentinel down-after-milliseconds " + MASTER + " 1000",
          "sentinel failover-timeout " + MASTER + " 5000",
          "sentinel parallel-syncs " + MASTER + " 2",
          "")));
    }
    for (RedisProcess replica : replicas) {
      replica.awaitLog("MASTER <-> REPLICA sync: Finished with success", Duration.ofSeconds(20));
    }
    // every Sentinel must know both replicas and the two other Sentinels to agree on a failover
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (int port : sentinelPorts) {
      while (count(port, "replicas") < 2 || count(port, "sentinels") < 2) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("Sentinel " + port + " does not see the deployment");
        }
        RedisProcess.sleep(100);
      }
    }
    admin = endpoint().connect();
  }

  /** How many replicas or other Sentinels the Sentinel on {@code port} knows. */
  private static int count(int port, String what) {
    String output = RedisProcess.run(DIR.toAbsolutePath(), List.of("redis-cli", "-p",
        Integer.toString(port), "sentinel", what, MASTER));
    return (int) output.lines().filter(line -> line.equals("name")).count();
  }

  private static RedisEndpoint endpoint() {
    return new RedisEndpoint(Mode.SENTINEL, sentinelPorts.stream()
        .map(port -> new HostAndPort("127.0.0.1", port)).toList(), MASTER, null, null, null, null,
        0, 2_000, null, 0, 1_000);
  }

  @AfterAll
  static void stopAll() {
    if (admin != null) {
      admin.close();
    }
    PROCESSES.forEach(RedisProcess::close);
  }

  @Override
  protected Map<String, String> connection() {
    return Map.of(RedisSinkConfig.MODE, "sentinel", RedisSinkConfig.SENTINEL_MASTER, MASTER,
        RedisSinkConfig.HOSTS, sentinelPorts.stream().map(port -> "127.0.0.1:" + port)
            .collect(Collectors.joining(",")),
        RedisSinkConfig.WAIT_REPLICAS, "1");
  }

  @Override
  protected List<UnifiedJedis> dataNodes() {
    return List.of(admin);
  }

  @Override
  protected UnifiedJedis admin() {
    return admin;
  }

  /** Runs last: afterwards the deployment has a new master and one replica. */
  @Test
  @Order(Integer.MAX_VALUE)
  void killingTheMasterMidWriteLosesNoFinalValue() throws InterruptedException {
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    RedisSinkTask task = task(context, Map.of(RedisSinkConfig.RETRY_BACKOFF_MS, "200",
        RedisSinkConfig.RETRY_BACKOFF_MAX_MS, "1000", RedisSinkConfig.RETRY_TIMEOUT_MS, "60000",
        RedisSinkConfig.TIMEOUT_MS, "1000"));
    List<List<MinuteCount>> batches = new ArrayList<>();
    Map<Series, Map<Long, MinuteCount>> finals = new HashMap<>();
    for (int b = 0; b < 60; b++) {
      long ws = minuteAgo(2) - b * MINUTE;
      List<MinuteCount> batch = new ArrayList<>();
      for (String product : List.of("live", "automate", "app")) {
        MinuteCount last = fin(product, "errors", ws, 100 + b, 10 + b);
        batch.add(live(product, "errors", ws, b, 1, 20));
        batch.add(last);
        batch.add(live(product, "errors", ws, b + 1, 2, 40));
        finals.computeIfAbsent(new Series(product, "errors"), s -> new HashMap<>()).put(ws, last);
      }
      batches.add(batch);
    }
    int oldMaster = ((RedisSentinelClient) admin).getCurrentMaster().getPort();

    AtomicInteger written = new AtomicInteger();
    Thread killer = new Thread(() -> {
      while (written.get() < 15) {
        Thread.onSpinWait();
      }
      master.kill();
    });
    killer.start();
    int retries = 0;
    for (List<MinuteCount> batch : batches) {
      List<SinkRecord> records = minutes.records(batch.toArray(MinuteCount[]::new));
      while (true) {
        try {
          task.put(records);
          break;
        } catch (RetriableException e) {
          // what the worker does: the same batch again after the timeout the task asked for
          retries++;
          Thread.sleep(context.timeouts().get(context.timeouts().size() - 1));
        }
      }
      written.incrementAndGet();
    }
    killer.join();

    assertTrue(retries > 0, "the failover was never noticed");
    assertNotEquals(oldMaster, ((RedisSentinelClient) admin).getCurrentMaster().getPort());
    for (Map.Entry<Series, Map<Long, MinuteCount>> series : finals.entrySet()) {
      for (MinuteCount last : series.getValue().values()) {
        Map<String, String> stored = minute(series.getKey(), last.getWindowStart().toEpochMilli());
        assertEquals(Long.toString(last.getCount()), stored.get("count"), series.getKey() + " " + stored);
        assertEquals("1", stored.get("is_final"));
      }
    }
    assertTrue(context.reports().isEmpty(), context.reports().toString());
  }
}
