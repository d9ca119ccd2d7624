package dev.tally.topology.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tally.topology.time.ClockBoard;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin surface of one Tally instance, a small HTTP server on its own thread, off the hot path:
 *
 * <ul>
 *   <li>{@code GET /health}: 200 while the process is up (liveness);
 *   <li>{@code GET /ready}: 200 when Kafka Streams is RUNNING, else 503 with its state (readiness);
 *   <li>{@code GET /metrics}: Prometheus text: Kafka Streams' and its clients' metrics (Micrometer's
 *       Kafka Streams binder), Tally's own (group {@code tally-metrics}) among them, and
 *       {@code tally_stream_threads_alive};
 *   <li>{@code GET /threads}, {@code POST /threads/add}, {@code POST /threads/remove}: the number of
 *       stream threads, changed at runtime;
 *   <li>{@code GET /tasks}: this instance's tasks per thread, with their partitions and lag (the
 *       events topic's end offsets as the brokers last said them, not Kafka Streams' cached ones);
 *       the clock of each input partition whose task runs here (event time, drained and since when,
 *       quiet time); and each aggregating partition's low watermark with the input partition that
 *       holds it back.
 * </ul>
 */
public final class AdminServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration REMOVE_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration METRICS_REFRESH = Duration.ofSeconds(5);

  private final HttpServer server;
  private final KafkaStreams streams;
  private final PrometheusMeterRegistry registry;
  private final KafkaStreamsMetrics binder;
  private final ClockBoard board;
  private final Function<TopicPartition, Long> brokerEnds;

  private AdminServer(HttpServer server, KafkaStreams streams, PrometheusMeterRegistry registry,
      KafkaStreamsMetrics binder, ClockBoard board, Function<TopicPartition, Long> brokerEnds) {
    this.server = server;
    this.streams = streams;
    this.registry = registry;
    this.binder = binder;
    this.board = board;
    this.brokerEnds = brokerEnds;
  }

  /** Starts serving {@code streams} on {@code host:port} (port 0: a free one), without clocks. */
  public static AdminServer start(KafkaStreams streams, String host, int port) throws IOException {
    return start(streams, host, port, new ClockBoard(), partition -> null);
  }

  /**
   * Starts serving {@code streams} on {@code host:port} (port 0: a free one).
   *
   * @param board the clocks the tasks report
   * @param brokerEnds a partition's end offset as the brokers said it lately, or null when not known
   *     (then Kafka Streams' own figure is shown)
   */
  public static AdminServer start(KafkaStreams streams, String host, int port, ClockBoard board,
      Function<TopicPartition, Long> brokerEnds) throws IOException {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // new sensors (a task's, once it is assigned) show within one refresh
    KafkaStreamsMetrics binder = new KafkaStreamsMetrics(streams, List.of(),
        Executors.newSingleThreadScheduledExecutor(runnable -> {
          Thread thread = new Thread(runnable, "tally-metrics-refresh");
          thread.setDaemon(true);
          return thread;
        }), METRICS_REFRESH);
    binder.bindTo(registry);
    Gauge.builder("tally.stream.threads.alive", streams, s -> s.metadataForLocalThreads().size())
        .description("Stream threads of this instance").register(registry);
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
    server.setExecutor(Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, "tally-admin");
      thread.setDaemon(true);
      return thread;
    }));
    AdminServer admin = new AdminServer(server, streams, registry, binder, board, brokerEnds);
    server.createContext("/", admin::handle);
    server.start();
    LOG.info("Admin server on http://{}:{}/ (health, ready, metrics, threads, tasks)", host,
        admin.port());
    return admin;
  }

  /** The port it listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    try {
      switch (method + " " + path) {
        case "GET /health" -> reply(exchange, 200, "text/plain", "alive\n");
        case "GET /ready" -> {
          KafkaStreams.State state = streams.state();
          reply(exchange, state == KafkaStreams.State.RUNNING ? 200 : 503, "text/plain",
              state + "\n");
        }
        case "GET /metrics" -> reply(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
            registry.scrape());
        case "GET /threads" -> json(exchange, 200, threads());
        case "POST /threads/add" -> {
          Optional<String> added = streams.addStreamThread();
          json(exchange, added.isPresent() ? 200 : 409, added.isPresent()
              ? Map.of("added", added.get(), "threads", threads().get("threads"))
              : Map.of("error", "cannot add a stream thread in state " + streams.state()));
        }
        case "POST /threads/remove" -> {
          Optional<String> removed = streams.removeStreamThread(REMOVE_TIMEOUT);
          json(exchange, removed.isPresent() ? 200 : 409, removed.isPresent()
              ? Map.of("removed", removed.get(), "threads", threads().get("threads"))
              : Map.of("error", "no stream thread to remove in state " + streams.state()));
        }
        case "GET /tasks" -> json(exchange, 200, tasks());
        default -> reply(exchange, 404, "text/plain",
            "unknown: " + method + " " + path + "; try GET /health, /ready, /metrics, /threads, "
                + "/tasks, POST /threads/add, /threads/remove\n");
      }
    } catch (RuntimeException e) {
      LOG.warn("Admin request {} {} failed", method, path, e);
      json(exchange, 500, Map.of("error", String.valueOf(e.getMessage())));
    }
  }

  private Map<String, Object> threads() {
    return Map.of("threads", streams.metadataForLocalThreads().size(), "state",
        streams.state().toString());
  }

  private Map<String, Object> tasks() {
    List<Map<String, Object>> threads = new ArrayList<>();
    for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("thread", thread.threadName());
      entry.put("state", thread.threadState());
      entry.put("active", describe(thread.activeTasks()));
      entry.put("standby", describe(thread.standbyTasks()));
      threads.add(entry);
    }
    Map<String, Object> tasks = new LinkedHashMap<>();
    tasks.put("state", streams.state().toString());
    tasks.put("threads", threads);
    tasks.put("inputClocks", inputClocks());
    tasks.put("lowWatermarks", lowWatermarks());
    return tasks;
  }

  private List<Map<String, Object>> describe(Iterable<TaskMetadata> tasks) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (TaskMetadata task : tasks) {
      Map<String, Object> partitions = new LinkedHashMap<>();
      for (TopicPartition partition : task.topicPartitions()) {
        // Kafka Streams' end offsets are cached from the task's last fetch, and may lie below what it
        // has committed; the brokers' own answer says more where there is one
        Long brokerEnd = brokerEnds.apply(partition);
        Long end = brokerEnd != null ? brokerEnd : task.endOffsets().get(partition);
        Long committed = task.committedOffsets().get(partition);
        Map<String, Object> offsets = new LinkedHashMap<>();
        offsets.put("committed", committed);
        offsets.put("end", end);
        offsets.put("lag", end == null || committed == null || committed < 0 ? null
            : Math.max(0, end - committed));
        partitions.put(partition.toString(), offsets);
      }
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("task", task.taskId().toString());
      entry.put("partitions", partitions);
      out.add(entry);
    }
    return out;
  }

  private List<Map<String, Object>> inputClocks() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ClockBoard.InputClock clock : board.inputs()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("partition", clock.partition());
      entry.put("eventTime", instant(clock.eventTimeMs()));
      entry.put("drained", clock.drained());
      entry.put("drainedSince", instant(clock.drainedSinceMs()));
      entry.put("quietForMs", clock.quietForMs() >= 0 ? clock.quietForMs() : null);
      entry.put("nextOffset", clock.nextOffset() >= 0 ? clock.nextOffset() : null);
      entry.put("seenAt", instant(clock.seenAtMs()));
      out.add(entry);
    }
    return out;
  }

  private List<Map<String, Object>> lowWatermarks() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ClockBoard.Low low : board.lows()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("partition", low.partition());
      entry.put("lowWatermark", instant(low.lowWatermarkMs()));
      entry.put("heldBackBy", low.heldBy() >= 0 ? low.heldBy() : null);
      entry.put("heldBackSince", instant(low.heldSinceMs()));
      entry.put("heldBackByClock", instant(low.heldByClockMs()));
      out.add(entry);
    }
    return out;
  }

  private static String instant(long ms) {
    return ms == Long.MIN_VALUE ? null : Instant.ofEpochMilli(ms).toString();
  }

  private static void json(HttpExchange exchange, int status, Object body) throws IOException {
    reply(exchange, status, "application/json", JSON.writerWithDefaultPrettyPrinter()
        .writeValueAsString(body) + "\n");
  }

  private static void reply(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    binder.close();
    registry.close();
  }
}
