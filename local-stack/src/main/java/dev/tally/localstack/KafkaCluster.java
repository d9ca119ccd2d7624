package dev.tally.localstack;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import kafka.server.KafkaConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;

/**
 * A real Kafka cluster of several KRaft nodes (each broker and controller) on 127.0.0.1, every node
 * its own OS process, so that one can be killed with {@code kill -9} and started again, as in a real
 * failure. Replicated as production is: internal topics and new topics get one replica per node (at
 * most 3) and {@code min.insync.replicas} of one less, so a cluster of three keeps taking writes
 * with acks=all while one node is down.
 *
 * <p>Each node keeps its ports and directory for the cluster's life, so a restarted node rejoins the
 * quorum as itself. Nodes notice a dead peer within {@code broker.session.timeout.ms} (6 s here,
 * 9 s by default), after which its partitions get new leaders. A node's log is
 * {@code node-N/server.log}. The directory rule is {@link KafkaBroker}'s: a given directory is kept
 * on close, {@code null} means a temporary one.
 */
public final class KafkaCluster implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final List<String> JVM_OPTIONS =
      List.of("-Xms128m", "-Xmx640m", "-XX:+UseSerialGC", "-Djava.awt.headless=true");

  private final WorkDir dir;
  private final List<Path> configs;
  private final List<Integer> brokerPorts;
  private final ChildProcess[] nodes;
  private final Admin admin;

  private KafkaCluster(WorkDir dir, List<Path> configs, List<Integer> brokerPorts) {
    this.dir = dir;
    this.configs = configs;
    this.brokerPorts = brokerPorts;
    this.nodes = new ChildProcess[configs.size()];
    this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(brokerPorts),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000",
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000"));
  }

  /**
   * Formats {@code size} nodes with one cluster id and starts them; returns once every node is a
   * registered broker.
   *
   * @param directory parent of the nodes' directories (kept on close), or {@code null} for a
   *     temporary one
   */
  public static KafkaCluster start(Path directory, int size) {
    if (size < 1) {
      throw new IllegalArgumentException("a cluster has at least one node, not " + size);
    }
    WorkDir workDir = WorkDir.of(directory, "tally-kafka-cluster-");
    List<Integer> ports = Ports.free(size * 2);
    List<Integer> brokerPorts = ports.subList(0, size);
    List<Integer> controllerPorts = ports.subList(size, size * 2);
    String voters = java.util.stream.IntStream.range(0, size)
        .mapToObj(i -> (i + 1) + "@" + Ports.LOOPBACK + ":" + controllerPorts.get(i))
        .collect(Collectors.joining(","));
    String clusterId = Uuid.randomUuid().toString();
    List<Path> configs = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      Path nodeDir = workDir.subdirectory("node-" + (i + 1));
      Properties props = KafkaBroker.nodeConfig(i + 1, nodeDir.resolve("data"), brokerPorts.get(i),
          controllerPorts.get(i), voters);
      replicated(props, size);
      KafkaBroker.format(new KafkaConfig(props, false), nodeDir.resolve("data"), clusterId);
      configs.add(write(props, nodeDir.resolve("server.properties")));
    }
    KafkaCluster cluster = new KafkaCluster(workDir, configs, List.copyOf(brokerPorts));
    try {
      for (int i = 0; i < size; i++) {
        cluster.launch(i);
      }
      cluster.awaitBrokers(allNodes(size), START_TIMEOUT);
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private static void replicated(Properties props, int size) {
    String replicas = Integer.toString(Math.min(size, 3));
    String minIsr = Integer.toString(Math.max(1, Math.min(size, 3) - 1));
    for (String key : List.of("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
        "share.coordinator.state.topic.replication.factor", "default.replication.factor")) {
      props.put(key, replicas);
    }
    for (String key : List.of("transaction.state.log.min.isr", "share.coordinator.state.topic.min.isr",
        "min.insync.replicas")) {
      props.put(key, minIsr);
    }
    props.put("offsets.topic.num.partitions", "3");
    props.put("transaction.state.log.num.partitions", "3");
    props.put("unclean.leader.election.enable", "false");
    props.put("broker.heartbeat.interval.ms", "1000");
    props.put("broker.session.timeout.ms", "6000");
  }

  private static Path write(Properties props, Path file) {
    try (OutputStream out = Files.newOutputStream(file)) {
      props.store(out, "KRaft node of a local Tally cluster");
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static Set<Integer> allNodes(int size) {
    return java.util.stream.IntStream.rangeClosed(1, size).boxed().collect(Collectors.toSet());
  }

  private static String bootstrap(List<Integer> ports) {
    return ports.stream().map(port -> Ports.LOOPBACK + ":" + port).collect(Collectors.joining(","));
  }

  private void launch(int index) {
    Path nodeDir = configs.get(index).getParent();
    nodes[index] = ChildProcess.start("kafka-node-" + (index + 1),
        ChildProcess.javaCommand(JVM_OPTIONS, "kafka.Kafka", List.of(configs.get(index).toString())),
        nodeDir.resolve("server.log"));
  }

  private void awaitBrokers(Set<Integer> ids, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (int id : ids) {
        ChildProcess node = nodes[id - 1];
        if (!node.isAlive()) {
          throw new IllegalStateException("Kafka node " + id + " exited while starting:\n" + node.logTail());
        }
      }
      try {
        Set<Integer> registered = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).stream()
            .map(Node::id).collect(Collectors.toSet());
        if (registered.containsAll(ids)) {
          return;
        }
      } catch (Exception notYet) {
        // no node answers yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Kafka nodes " + ids + " not all registered within " + timeout);
      }
      sleep(200);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** {@code 127.0.0.1:PORT,...} of every node. */
  public String bootstrapServers() {
    return bootstrap(brokerPorts);
  }

  /** How many nodes the cluster has (running or not). */
  public int size() {
    return nodes.length;
  }

  /** Whether node {@code id} (1-based) runs. */
  public boolean isRunning(int id) {
    return nodes[id - 1].isAlive();
  }

  /** Kills node {@code id} (1-based) with SIGKILL: no controlled shutdown, no leadership hand-over. */
  public void kill(int id) {
    nodes[id - 1].kill();
  }

  /** Starts node {@code id} again (after {@link #kill}) and waits until it is a registered broker. */
  public void restart(int id) {
    if (nodes[id - 1].isAlive()) {
      throw new IllegalStateException("Kafka node " + id + " is running");
    }
    launch(id - 1);
    awaitBrokers(Set.of(id), START_TIMEOUT);
  }

  /** Stops every node (SIGTERM, controlled shutdown) and deletes a temporary directory. */
  @Override
  public void close() {
    admin.close(Duration.ofSeconds(2));
    for (ChildProcess node : nodes) {
      if (node != null) {
        node.close();
      }
    }
    dir.release();
  }

  @Override
  public String toString() {
    return "Kafka cluster " + bootstrapServers() + " (" + nodes.length + " KRaft nodes, data in " + dir + ")";
  }
}
