package dev.tally.connect.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.testkit.RecordingSinkTaskContext;
import dev.tally.testkit.RedisProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The suite on a Redis Cluster of three masters (no replicas), made with
 * {@code redis-cli --cluster create}: one series' keys share a slot through their hash tag, and
 * a batch's pipeline spans the three nodes.
 */
final class ClusterRedisSinkTest extends RedisSinkSuite {

  private static final Path DIR = Path.of("target", "redis-cluster-" + System.nanoTime());
  private static final List<RedisProcess> NODES = new ArrayList<>();
  private static final List<UnifiedJedis> NODE_CLIENTS = new ArrayList<>();
  private static List<Integer> ports;
  private static UnifiedJedis cluster;

  @BeforeAll
  static void startCluster() {
    ports = RedisProcess.freePortsWithBus(3);
    for (int port : ports) {
      NODES.add(RedisProcess.server(DIR.resolve(Integer.toString(port)), port, List.of(
          "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
          "--cluster-node-timeout", "2000")));
      NODE_CLIENTS.add(RedisClient.create("127.0.0.1", port));
    }
    List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
    ports.forEach(port -> create.add("127.0.0.1:" + port));
    create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    RedisProcess.run(DIR.toAbsolutePath(), create);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    for (int port : ports) {
      while (!RedisProcess.run(DIR.toAbsolutePath(),
          List.of("redis-cli", "-p", Integer.toString(port), "cluster", "info"))
          .contains("cluster_state:ok")) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the cluster did not become ok on port " + port);
        }
        RedisProcess.sleep(100);
      }
    }
    Set<HostAndPort> seeds = ports.stream().map(port -> new HostAndPort("127.0.0.1", port))
        .collect(Collectors.toCollection(LinkedHashSet::new));
    cluster = RedisClusterClient.create(seeds);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
    NODE_CLIENTS.forEach(UnifiedJedis::close);
    NODES.forEach(RedisProcess::close);
  }

  @Override
  protected Map<String, String> connection() {
    return Map.of(RedisSinkConfig.MODE, "cluster", RedisSinkConfig.HOSTS,
        ports.stream().map(port -> "127.0.0.1:" + port).collect(Collectors.joining(",")));
  }

  @Override
  protected List<UnifiedJedis> dataNodes() {
    return NODE_CLIENTS;
  }

  @Override
  protected UnifiedJedis admin() {
    return cluster;
  }

  @Test
  void theMirrorSpreadsOverTheMastersAndASeriesStaysOnOne() {
    writeInBatches(task(RecordingSinkTaskContext.withReporter()), history(), 50);
    int mastersWithKeys = 0;
    for (UnifiedJedis node : NODE_CLIENTS) {
      Map<String, String> keys = MirrorSnapshot.of(List.of(node), PREFIX);
      mastersWithKeys += keys.isEmpty() ? 0 : 1;
      for (String key : keys.keySet()) {
        if (key.startsWith(PREFIX + "minute:")) {
          String series = key.substring(key.indexOf('{') + 1, key.indexOf('}'));
          assertTrue(keys.containsKey(PREFIX + "minutes:{" + series + "}"), key);
        }
      }
    }
    // the series and the minutes of history() hash to slots of at least two masters
    assertTrue(mastersWithKeys >= 2, "keys on " + mastersWithKeys + " master(s)");
    assertEquals(4, cluster.zcard(LAYOUT.catalogKey()));
  }
}
