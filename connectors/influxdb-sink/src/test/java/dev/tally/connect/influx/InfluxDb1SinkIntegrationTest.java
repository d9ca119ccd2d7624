package dev.tally.connect.influx;

import static dev.tally.connect.influx.Results.WORKED_MINUTE_MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.localstack.InfluxServer;
import dev.tally.schema.MinuteCount;
import dev.tally.testkit.RecordingSinkTaskContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The v1 path ({@code influx.api=v1}, POST /write) against Debian's real influxd 1.6.7, started by
 * the test: the shared contract, plus an outage, a type conflict and a missing database.
 */
class InfluxDb1SinkIntegrationTest extends AbstractInfluxSinkSuite {

  private static final AtomicInteger DATABASES = new AtomicInteger();
  /** A window in 2010: another shard group than the worked example's, for type conflicts. */
  private static final long OLD_MINUTE_MS = 1262304000000L;
  /** Excludes the points that another writer put there to cause a conflict. */
  private static final String NOT_LEGACY = "\"product\" != 'legacy'";

  private static InfluxServer influx;
  private String database;

  @BeforeAll
  static void startInflux() {
    influx = InfluxServer.start(null, 0);
  }

  @AfterAll
  static void stopInflux() {
    if (influx != null) {
      influx.close();
    }
  }

  static Map<String, String> v1Config(String url, String database) {
    Map<String, String> config = new HashMap<>();
    config.put("influx.api", "v1");
    config.put("influx.url", url);
    config.put("influx.database", database);
    config.put("influx.timeout.ms", "2000");
    config.put("influx.retry.backoff.ms", "100");
    config.put("influx.retry.backoff.max.ms", "1000");
    return config;
  }

  @Override
  protected Map<String, String> freshTarget() {
    database = "tally" + DATABASES.incrementAndGet();
    influx.createDatabase(database);
    return v1Config(influx.url(), database);
  }

  @Override
  protected List<Point> readBack() {
    return InfluxQuery.points(influx, database);
  }

  @Test
  void valueIsAnIntegerFieldAndWritingTheSameResultsAgainChangesNothing() throws Exception {
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    InfluxDbSinkTask task = start(freshTarget(), context);
    WorkerLoop.deliver(task, context, Results.workedExampleRecords(), Duration.ofSeconds(10));
    List<Point> first = readBack();
    // a restarted task writes the uncommitted records again
    WorkerLoop.deliver(task, context, Results.workedExampleRecords(), Duration.ofSeconds(10));
    assertSamePoints(first, readBack());
    assertEquals(Map.of("unique_user_event", "integer", "cumulative_user_event", "integer"),
        InfluxQuery.valueTypes(influx, database));
  }

  @Test
  void influxdDownFor20SecondsInTheMiddleOfAStreamLosesNothing(@TempDir Path dir) throws Exception {
    InfluxServer first = InfluxServer.start(dir, 0);
    int port = first.port();
    first.createDatabase("outage");
    AtomicReference<InfluxServer> current = new AtomicReference<>(first);
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
      InfluxDbSinkTask task = start(v1Config(first.url(), "outage"), context);
      List<MinuteCount> sent = new ArrayList<>();
      int retries = 0;
      long downAt = 0;
      ScheduledFuture<?> restart = null;
      for (int batch = 0; batch < 30; batch++) {
        if (batch == 10) {
          current.get().close();
          downAt = System.nanoTime();
          restart = scheduler.schedule(() -> current.set(InfluxServer.start(dir, port)), 20,
              TimeUnit.SECONDS);
        }
        List<SinkRecord> records = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          MinuteCount result = Results.result("live", "e" + i, WORKED_MINUTE_MS + 60_000L * batch,
              batch + i + 1, i + 1, true);
          sent.add(result);
          records.add(Results.record(batch * 5L + i, result));
          // a live update of the next minute, skipped, between the finals
          records.add(Results.record(batch * 5L + i, Results.result("live", "e" + i,
              WORKED_MINUTE_MS + 60_000L * (batch + 1), 1, 1, false)));
        }
        retries += WorkerLoop.deliver(task, context, records, Duration.ofSeconds(60));
        if (batch == 10) {
          assertTrue(System.nanoTime() - downAt >= TimeUnit.SECONDS.toNanos(20),
              "the batch sent while influxd was down waited for it");
        }
      }
      restart.get();
      assertTrue(retries >= 10, "retried with backoff while down: " + retries);
      assertTrue(context.timeouts().stream().allMatch(t -> t >= 100 && t <= 1000), context.timeouts()
          .toString());
      assertEquals(List.of(), context.reports());
      assertSamePoints(pointsOf(sent), InfluxQuery.points(current.get(), "outage"));
    } finally {
      scheduler.shutdownNow();
      InfluxServer last = current.get();
      if (last != null) {
        last.close();
      }
    }
  }

  @Test
  void aTypeConflictIsReportedWithTheServersMessageAndTheOtherPointsAreKept() throws Exception {
    Map<String, String> config = freshTarget();
    // someone wrote a float 'value' in 2010's shard: integer points there now conflict
    InfluxQuery.write(influx, database, "cumulative_user_event,event_type=old,product=legacy "
        + "value=1.5 " + OLD_MINUTE_MS * 1_000_000L);
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    InfluxDbSinkTask task = start(config, context);
    List<MinuteCount> good = new ArrayList<>();
    List<SinkRecord> records = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      MinuteCount result = Results.result("live", "e" + i, WORKED_MINUTE_MS, 10 + i, 1 + i, true);
      good.add(result);
      records.add(Results.record(i, result));
    }
    MinuteCount conflicting = Results.result("live", "late", OLD_MINUTE_MS, 7, 3, true);
    records.add(4, Results.record(100, conflicting));
    WorkerLoop.deliver(task, context, records, Duration.ofSeconds(10));

    assertEquals(1, context.reports().size());
    assertEquals(100, context.reports().get(0).record().kafkaOffset());
    String message = context.reports().get(0).error().getMessage();
    assertTrue(message.contains("field type conflict") && message.contains("HTTP 400")
        && message.contains("cumulative_user_event,event_type=late,product=live value=7i "
            + OLD_MINUTE_MS * 1_000_000L), message);

    List<Point> expected = new ArrayList<>(pointsOf(good));
    // the partial write kept the conflicting record's other point, and the float already there
    expected.add(Point.unique("live", "late", 3, OLD_MINUTE_MS * 1_000_000L));
    assertSamePoints(expected, InfluxQuery.points(influx, database, NOT_LEGACY));
  }

  @Test
  void withoutAReporterARefusedPointFailsTheTaskNamingThePointAndTheServersMessage() {
    Map<String, String> config = freshTarget();
    InfluxQuery.write(influx, database, "unique_user_event,event_type=old,product=legacy "
        + "value=\"text\" " + OLD_MINUTE_MS * 1_000_000L);
    InfluxDbSinkTask task = start(config, RecordingSinkTaskContext.withoutReporter());
    ConnectException e = assertThrows(ConnectException.class, () -> task.put(List.of(
        Results.record(5, Results.result("live", "late", OLD_MINUTE_MS, 2, 1, true)))));
    assertFalse(e instanceof RetriableException);
    assertTrue(e.getMessage().contains("offset=5")
        && e.getMessage().contains("unique_user_event,event_type=late,product=live value=1i")
        && e.getMessage().contains("field type conflict")
        && e.getMessage().contains("errors.deadletterqueue.topic.name"), e.getMessage());
  }

  @Test
  void withoutAReporterErrorsToleranceAllSkipsTheRefusedRecord() throws Exception {
    Map<String, String> config = freshTarget();
    config.put("errors.tolerance", "all");
    InfluxQuery.write(influx, database, "unique_user_event,event_type=old,product=legacy "
        + "value=\"text\" " + OLD_MINUTE_MS * 1_000_000L);
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withoutReporter();
    InfluxDbSinkTask task = start(config, context);
    MinuteCount good = Results.result("live", "rails-5xx", WORKED_MINUTE_MS, 2, 1, true);
    WorkerLoop.deliver(task, context, List.of(
        Results.record(5, Results.result("live", "late", OLD_MINUTE_MS, 2, 1, true)),
        Results.record(6, good)), Duration.ofSeconds(10));
    List<Point> expected = new ArrayList<>(pointsOf(List.of(good)));
    // the partial write kept the refused record's other point
    expected.add(Point.cumulative("live", "late", 2, OLD_MINUTE_MS * 1_000_000L));
    assertSamePoints(expected, InfluxQuery.points(influx, database, NOT_LEGACY));
  }

  @Test
  void aMissingDatabaseFailsTheTaskWithTheServersAnswer() {
    InfluxDbSinkTask task = start(v1Config(influx.url(), "nowhere"),
        RecordingSinkTaskContext.withReporter());
    ConnectException e = assertThrows(ConnectException.class,
        () -> task.put(Results.workedExampleRecords()));
    assertFalse(e instanceof RetriableException);
    assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains("database not found")
        && e.getMessage().contains("'nowhere'"), e.getMessage());
  }
}
