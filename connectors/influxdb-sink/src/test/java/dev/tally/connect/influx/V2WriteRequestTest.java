package dev.tally.connect.influx;

import static dev.tally.connect.influx.Results.WORKED_MINUTE_MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tally.testkit.RecordingSinkTaskContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The v2 path's requests as they leave influxdb-client-java, caught by a JDK HTTP server that
 * plays InfluxDB 2.x: path, query parameters, token, body; and what the sink does with each kind
 * of answer.
 */
class V2WriteRequestTest {

  /** One request as the server saw it. */
  record Request(String method, String path, Map<String, String> query,
      Map<String, List<String>> headers, String body) {
    List<String> lines() {
      return List.of(body.split("\n"));
    }
  }

  /** The answer to a request: status and JSON body as InfluxDB 2.x sends them. */
  record Answer(int status, String body) {
    static final Answer NO_CONTENT = new Answer(204, "");
  }

  private HttpServer server;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile Function<Request, Answer> answers = request -> Answer.NO_CONTENT;
  private final List<InfluxDbSinkTask> tasks = new ArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    Map<String, String> query = new HashMap<>();
    String raw = exchange.getRequestURI().getRawQuery();
    for (String pair : raw == null ? new String[0] : raw.split("&")) {
      int eq = pair.indexOf('=');
      query.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
          URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    Map<String, List<String>> headers = new HashMap<>();
    exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), List.copyOf(v)));
    Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
        query, headers, body);
    requests.add(request);
    Answer answer = answers.apply(request);
    byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @AfterEach
  void stop() {
    tasks.forEach(InfluxDbSinkTask::stop);
    if (server != null) {
      server.stop(0);
    }
  }

  private Map<String, String> config() {
    Map<String, String> config = new HashMap<>();
    config.put("influx.api", "v2");
    config.put("influx.url", "http://127.0.0.1:" + server.getAddress().getPort());
    config.put("influx.org", "ops team");
    config.put("influx.bucket", "tally/minutes");
    config.put("influx.token", "s3cr3t-token");
    config.put("influx.timeout.ms", "2000");
    config.put("influx.retry.backoff.ms", "50");
    config.put("influx.retry.backoff.max.ms", "200");
    return config;
  }

  private InfluxDbSinkTask start(Map<String, String> config, RecordingSinkTaskContext context) {
    InfluxDbSinkTask task = new InfluxDbSinkTask();
    task.initialize(context);
    task.start(config);
    tasks.add(task);
    return task;
  }

  @Test
  void oneBlockingRequestWithOrgBucketNanosecondPrecisionAndTheToken() {
    start(config(), RecordingSinkTaskContext.withReporter()).put(Results.workedExampleRecords());

    assertEquals(1, requests.size(), "one request for the whole put");
    Request request = requests.get(0);
    assertEquals("POST", request.method());
    assertEquals("/api/v2/write", request.path());
    assertEquals(Map.of("org", "ops team", "bucket", "tally/minutes", "precision", "ns"),
        request.query());
    assertEquals(List.of("Token s3cr3t-token"), request.headers().get("authorization"));
    assertEquals(List.of(
        "unique_user_event,event_type=rails-5xx,product=live value=1i 1478507520000000000",
        "cumulative_user_event,event_type=rails-5xx,product=live value=2i 1478507520000000000",
        "unique_user_event,event_type=stuck_in_queue,product=live value=1i 1478507520000000000",
        "cumulative_user_event,event_type=stuck_in_queue,product=live value=1i 1478507520000000000",
        "unique_user_event,event_type=browser_error,product=automate value=2i 1478507520000000000",
        "cumulative_user_event,event_type=browser_error,product=automate value=2i 1478507520000000000"),
        request.lines());
  }

  @Test
  void aPutOfOnlyLiveUpdatesSendsNothing() {
    InfluxDbSinkTask task = start(config(), RecordingSinkTaskContext.withReporter());
    task.put(List.of(Results.record(0,
        Results.result("live", "rails-5xx", WORKED_MINUTE_MS, 1, 1, false))));
    assertEquals(List.of(), requests);
    assertEquals(1, task.metrics().liveUpdatesSkipped.get());
  }

  @Test
  void a503IsRetriedWithBackoffUntilTheServerTakesThePoints() throws Exception {
    answers = request -> requests.size() <= 3
        ? new Answer(503, "{\"code\":\"unavailable\",\"message\":\"shutting down\"}")
        : Answer.NO_CONTENT;
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    InfluxDbSinkTask task = start(config(), context);
    RetriableException first = assertThrows(RetriableException.class,
        () -> task.put(Results.workedExampleRecords()));
    assertTrue(first.getMessage().contains("HTTP 503: shutting down"), first.getMessage());

    assertEquals(2, WorkerLoop.deliver(task, context, Results.workedExampleRecords(),
        Duration.ofSeconds(10)));
    assertEquals(List.of(50L, 100L, 200L), context.timeouts());
    assertEquals(4, requests.size());
    assertEquals(requests.get(0).body(), requests.get(3).body(), "the same points again");
    assertEquals(3, task.metrics().writeRetries.get());
    assertEquals(6, task.metrics().pointsWritten.get());
  }

  @Test
  void noServerIsRetriedToo() {
    Map<String, String> config = config();
    server.stop(0);
    server = null;
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    InfluxDbSinkTask task = start(config, context);
    RetriableException e = assertThrows(RetriableException.class,
        () -> task.put(Results.workedExampleRecords()));
    assertTrue(e.getMessage().contains("no response"), e.getMessage());
    assertEquals(List.of(50L), context.timeouts());
  }

  @Test
  void retriesStopAtTheConfiguredLimitWithoutCommittingAnything() {
    answers = request -> new Answer(500, "{\"code\":\"internal error\",\"message\":\"boom\"}");
    Map<String, String> config = config();
    config.put("influx.max.retries", "2");
    InfluxDbSinkTask task = start(config, RecordingSinkTaskContext.withReporter());
    assertThrows(RetriableException.class, () -> task.put(Results.workedExampleRecords()));
    assertThrows(RetriableException.class, () -> task.put(Results.workedExampleRecords()));
    ConnectException last = assertThrows(ConnectException.class,
        () -> task.put(Results.workedExampleRecords()));
    assertFalse(last instanceof RetriableException);
    assertTrue(last.getMessage().contains("after 2 retries (influx.max.retries)"), last.getMessage());
  }

  @Test
  void refusedPointsGoToTheReporterWithTheServersMessageAndTheRestIsWritten() {
    // InfluxDB 2.x refuses the whole request on a bad point, naming it in its message
    answers = request -> request.body().contains("product=bad")
        ? new Answer(400, "{\"code\":\"invalid\",\"message\":\"partial write has occurred, "
            + "errors encountered on line(s): failure writing points to database: field type "
            + "conflict\"}")
        : Answer.NO_CONTENT;
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    InfluxDbSinkTask task = start(config(), context);
    List<SinkRecord> records = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      records.add(Results.record(i, Results.result(i == 11 ? "bad" : "live", "e" + i,
          WORKED_MINUTE_MS, 2, 1, true)));
    }
    task.put(records);

    assertEquals(1, context.reports().size());
    assertEquals(11, context.reports().get(0).record().kafkaOffset());
    assertTrue(context.reports().get(0).error().getMessage().contains("field type conflict"));
    List<String> accepted = new ArrayList<>();
    for (Request request : requests) {
      if (!request.body().contains("product=bad")) {
        accepted.addAll(request.lines());
      }
    }
    assertEquals(30, accepted.size(), "the 15 good records' points, each once");
    assertEquals(30, accepted.stream().distinct().count());
    assertEquals(30, task.metrics().pointsWritten.get());
    assertEquals(1, task.metrics().badRecords.get());
  }

  @Test
  void aRefusedTokenFailsTheTaskWithAHint() {
    answers = request -> new Answer(401, "{\"code\":\"unauthorized\",\"message\":\"unauthorized "
        + "access\"}");
    InfluxDbSinkTask task = start(config(), RecordingSinkTaskContext.withReporter());
    ConnectException e = assertThrows(ConnectException.class,
        () -> task.put(Results.workedExampleRecords()));
    assertFalse(e instanceof RetriableException);
    assertTrue(e.getMessage().contains("HTTP 401: unauthorized access")
        && e.getMessage().contains("influx.token"), e.getMessage());
    assertFalse(e.getMessage().contains("s3cr3t"), "never the token itself");
  }
}
