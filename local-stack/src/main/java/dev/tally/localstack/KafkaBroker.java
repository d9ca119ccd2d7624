package dev.tally.localstack;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Kafka cluster (KRaft, one node that is both broker and controller) running in
 * this JVM, from the main Kafka jars: no Docker, no child process.
 *
 * <p>Start-up is what {@code kafka-storage.sh format} followed by {@code kafka-server-start.sh}
 * do: {@link Formatter} writes {@code meta.properties} and the bootstrap metadata at the latest
 * production metadata version ({@link MetadataVersion#LATEST_PRODUCTION}, no unstable features),
 * then {@link KafkaRaftServer} starts the controller and the broker. {@code startup()} returns once
 * the broker is registered and unfenced, so clients can use it at once. Transactions work (the
 * transaction state log has replication factor 1), so Kafka Streams can run
 * {@code exactly_once_v2} against it.
 *
 * <p>Directory rule (the same for every server of the local stack): a data directory given by the
 * caller is the caller's: it is kept on close, and a later start on it reuses the formatted
 * storage, topics and offsets included. {@code null} means a fresh temporary directory, deleted
 * on close.
 *
 * <p>The first start in a JVM takes a few seconds, mostly loading and warming up Kafka's classes;
 * later starts in the same JVM reuse them and take well under a second.
 *
 * <pre>{@code
 * try (KafkaBroker kafka = KafkaBroker.start(null, 0)) {
 *     props.put("bootstrap.servers", kafka.bootstrapServers());
 * }
 * }</pre>
 */
public final class KafkaBroker implements AutoCloseable {

  static final String BROKER_LISTENER = "PLAINTEXT";
  static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final int NODE_ID = 1;
  private static final int BIND_ATTEMPTS = 3;

  private final KafkaRaftServer server;
  private final WorkDir dir;
  private final int port;
  private final AtomicBoolean closed = new AtomicBoolean();
  private Admin admin;

  private KafkaBroker(KafkaRaftServer server, WorkDir dir, int port) {
    this.server = server;
    this.dir = dir;
    this.port = port;
  }

  /**
   * Formats the storage (unless already formatted) and starts the broker.
   *
   * @param dataDir the log directory (kept on close), or {@code null} for a temporary one
   * @param port the PLAINTEXT port on 127.0.0.1, or 0 for a free one; the controller listener
   *     always takes a free port
   * @throws IllegalStateException if the broker does not start
   */
  public static KafkaBroker start(Path dataDir, int port) {
    WorkDir workDir = WorkDir.of(dataDir, "tally-kafka-");
    try {
      for (int attempt = 1; ; attempt++) {
        List<Integer> free = Ports.free(2);
        int brokerPort = port == 0 ? free.get(0) : Ports.orFree(port);
        int controllerPort = free.get(1) != brokerPort ? free.get(1) : free.get(0);
        Properties props = nodeConfig(NODE_ID, workDir.path(), brokerPort, controllerPort,
            NODE_ID + "@" + Ports.LOOPBACK + ":" + controllerPort);
        KafkaConfig config = new KafkaConfig(props, false);
        format(config, workDir.path(), Uuid.randomUuid().toString());
        try {
          return new KafkaBroker(startServer(config), workDir, brokerPort);
        } catch (RuntimeException e) {
          if (attempt == BIND_ATTEMPTS || !causedByBind(e)) {
            throw new IllegalStateException("Kafka broker did not start on " + Ports.LOOPBACK + ":"
                + brokerPort + " (data in " + workDir + ")", e);
          }
        }
      }
    } catch (RuntimeException e) {
      workDir.release();
      throw e;
    }
  }

  /**
   * The configuration of one KRaft node that is both broker and controller. A multi-node cluster
   * gives each node its own id, directory and ports, and all of them the same {@code voters}
   * ({@code id@host:controllerPort,...}).
   */
  static Properties nodeConfig(int nodeId, Path logDir, int brokerPort, int controllerPort, String voters) {
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", Integer.toString(nodeId));
    props.put("controller.quorum.voters", voters);
    props.put("listeners", BROKER_LISTENER + "://" + Ports.LOOPBACK + ":" + brokerPort + ","
        + CONTROLLER_LISTENER + "://" + Ports.LOOPBACK + ":" + controllerPort);
    props.put("advertised.listeners", BROKER_LISTENER + "://" + Ports.LOOPBACK + ":" + brokerPort);
    props.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    props.put("controller.listener.names", CONTROLLER_LISTENER);
    props.put("inter.broker.listener.name", BROKER_LISTENER);
    props.put("log.dirs", logDir.toString());
    // One node: every internal topic has one replica, and few partitions keep start-up quick.
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "1");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "1");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("default.replication.factor", "1");
    props.put("min.insync.replicas", "1");
    props.put("num.partitions", "1");
    // Topics are created on purpose, with their partition count, never by a typo in a client.
    props.put("auto.create.topics.enable", "false");
    // Without it every new consumer group waits 3 s before its first assignment.
    props.put("group.initial.rebalance.delay.ms", "0");
    // A client that died mid-transaction holds read_committed readers back until its transaction times
    // out; the default looks for such transactions only every 10 s.
    props.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    // A transaction's first write to a partition waits until the previous transaction's markers are
    // written. The default lets the broker wait only 100 ms before it answers CONCURRENT_TRANSACTIONS,
    // and the producer's own retries back off exponentially: commits then took up to a second on a
    // loaded machine, and a fail-over's survivor did little but commit.
    props.put("add.partitions.to.txn.retry.backoff.max.ms", "2000");
    // The default takes 128 MB of heap for compacting topics that stay small here.
    props.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
    // Time-based retention judges records by their timestamps: the demo's 2016 events, a backfill
    // or a test's past event times would vanish at the next retention check (every 5 minutes).
    props.put("log.retention.ms", "-1");
    // Fail instead of hanging if the node cannot join its quorum.
    props.put("server.max.startup.time.ms", "60000");
    return props;
  }

  /**
   * What {@code kafka-storage.sh format} does; a directory that is already formatted is kept. The
   * nodes of one cluster share {@code clusterId}.
   */
  static void format(KafkaConfig config, Path logDir, String clusterId) {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return;
    }
    try {
      new Formatter()
          .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
          .setNodeId(config.nodeId())
          .setClusterId(clusterId)
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setUnstableFeatureVersionsEnabled(false)
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setMetadataLogDirectory(config.metadataLogDir())
          .setDirectories(List.of(logDir.toString()))
          .setHasDynamicQuorum(false)
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("Cannot format the Kafka storage in " + logDir, e);
    }
  }

  private static KafkaRaftServer startServer(KafkaConfig config) {
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    try {
      server.startup();
      return server;
    } catch (Exception e) {
      // Scala code may throw checked exceptions it does not declare, hence Exception.
      stop(server);
      throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
    }
  }

  private static boolean causedByBind(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException
          || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }

  private static void stop(KafkaRaftServer server) {
    server.shutdown();
    server.awaitShutdown();
  }

  /** {@code 127.0.0.1:PORT}, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return Ports.LOOPBACK + ":" + port;
  }

  /** The PLAINTEXT port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** The log directory (data and metadata). */
  public Path directory() {
    return dir.path();
  }

  /** An admin client of this broker, made on first use and closed with it. */
  public synchronized Admin admin() {
    if (closed.get()) {
      throw new IllegalStateException(this + " is closed");
    }
    if (admin == null) {
      admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }
    return admin;
  }

  /** Shuts the broker and controller down, waits for them, and deletes a temporary directory. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        closeAdmin();
      } finally {
        try {
          stop(server);
        } finally {
          dir.release();
        }
      }
    }
  }

  private synchronized void closeAdmin() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
    }
  }

  @Override
  public String toString() {
    return "Kafka " + bootstrapServers() + " (data in " + dir + ")";
  }
}
