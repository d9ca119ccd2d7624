package dev.tally.connect.influx;

import static dev.tally.connect.influx.Results.WORKED_MINUTE_MS;
import static dev.tally.connect.influx.Results.WORKED_MINUTE_NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.RangeCount;
import dev.tally.testkit.RecordingSinkTaskContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The sink's contract, checked against a real server: one subclass per server flavour (InfluxDB
 * 1.x through the v1 API, a server of the v2 write API through influxdb-client-java). Each test gets
 * an empty target from {@link #freshTarget()} and reads back what the server stored.
 */
abstract class AbstractInfluxSinkSuite {

  private final List<InfluxDbSinkTask> tasks = new ArrayList<>();

  /** The sink's configuration for an empty target (a new database, bucket or server). */
  protected abstract Map<String, String> freshTarget();

  /** Every point of the contract measurements in the current target, in any order. */
  protected abstract List<Point> readBack();

  protected InfluxDbSinkTask start(Map<String, String> config, RecordingSinkTaskContext context) {
    InfluxDbSinkTask task = new InfluxDbSinkTask();
    task.initialize(context);
    task.start(config);
    tasks.add(task);
    return task;
  }

  @AfterEach
  void stopTasks() {
    tasks.forEach(InfluxDbSinkTask::stop);
    tasks.clear();
  }

  protected static void assertSamePoints(List<Point> expected, List<Point> actual) {
    assertEquals(expected.size(), actual.size(), "points: " + actual);
    assertEquals(new HashSet<>(expected), new HashSet<>(actual));
  }

  protected static List<Point> pointsOf(List<MinuteCount> results) {
    List<Point> points = new ArrayList<>();
    for (MinuteCount r : results) {
      long ns = r.getWindowStart().toEpochMilli() * 1_000_000L;
      points.add(Point.unique(r.getProduct(), r.getEventType(), r.getUniqueUsers(), ns));
      points.add(Point.cumulative(r.getProduct(), r.getEventType(), r.getCount(), ns));
    }
    return points;
  }

  @Test
  void theWorkedExamplesMinuteReadsBackWithExactValuesTagsAndTimestamps() throws Exception {
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    InfluxDbSinkTask task = start(freshTarget(), context);
    WorkerLoop.deliver(task, context, Results.workedExampleRecords(), Duration.ofSeconds(10));
    task.flush(Map.of());

    assertSamePoints(List.of(
        Point.unique("live", "rails-5xx", 1, WORKED_MINUTE_NS),
        Point.cumulative("live", "rails-5xx", 2, WORKED_MINUTE_NS),
        Point.unique("live", "stuck_in_queue", 1, WORKED_MINUTE_NS),
        Point.cumulative("live", "stuck_in_queue", 1, WORKED_MINUTE_NS),
        Point.unique("automate", "browser_error", 2, WORKED_MINUTE_NS),
        Point.cumulative("automate", "browser_error", 2, WORKED_MINUTE_NS)), readBack());
    assertEquals(List.of(), context.reports(), "live updates are skipped, not reported");
    assertEquals(List.of(), context.timeouts());
  }

  @Test
  void hoursAndDaysOfDistinctUsersReadBackAsTheirOwnMeasurementsBesideTheMinutes() throws Exception {
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    InfluxDbSinkTask task = start(freshTarget(), context);
    Instant hour = Instant.ofEpochMilli(Math.floorDiv(WORKED_MINUTE_MS, 3_600_000L) * 3_600_000L);
    Instant day = Instant.ofEpochMilli(Math.floorDiv(WORKED_MINUTE_MS, 86_400_000L) * 86_400_000L);
    List<SinkRecord> records = new ArrayList<>(Results.workedExampleRecords());
    records.add(Results.rawRecord(100, Results.bytes(new RangeCount("live", "rails-5xx", "1h",
        hour, hour.plusSeconds(3_600), 812L, true, hour.plusSeconds(3_700)))));
    records.add(Results.rawRecord(101, Results.bytes(new RangeCount("live", "rails-5xx", "1d",
        day, day.plusSeconds(86_400), 40_123L, false, day.plusSeconds(86_500)))));
    WorkerLoop.deliver(task, context, records, Duration.ofSeconds(10));
    task.flush(Map.of());

    List<Point> points = readBack();
    assertTrue(points.contains(new Point("unique_user_event_1h", "rails-5xx", "live", 812,
        hour.toEpochMilli() * 1_000_000L)), points.toString());
    assertTrue(points.contains(new Point("unique_user_event_1d", "rails-5xx", "live", 40_123,
        day.toEpochMilli() * 1_000_000L)), points.toString());
    assertTrue(points.contains(Point.unique("live", "rails-5xx", 1, WORKED_MINUTE_NS)));
    assertEquals(8, points.size(), "six per-minute points and two ranges: " + points);
    assertEquals(List.of(), context.reports());
  }

  @Test
  void tagValuesWithSpacesCommasEqualsSignsAndNonAsciiComeBackAsTheyWere() throws Exception {
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    InfluxDbSinkTask task = start(freshTarget(), context);
    List<MinuteCount> results = List.of(
        Results.result("live stream", "rails 5xx", WORKED_MINUTE_MS, 3, 2, true),
        Results.result("a,b", "x=y", WORKED_MINUTE_MS, 4, 1, true),
        Results.result("grüße", "日本語-event", WORKED_MINUTE_MS, 5, 5, true),
        Results.result("mix, = ü", "quote\"d 'tag'", WORKED_MINUTE_MS, 6, 3, true));
    List<SinkRecord> records = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      records.add(Results.record(i, results.get(i)));
    }
    WorkerLoop.deliver(task, context, records, Duration.ofSeconds(10));
    assertSamePoints(pointsOf(results), readBack());
    assertEquals(List.of(), context.reports());
  }

  @Test
  void manyResultsGoInRequestsOfTheConfiguredSize() throws Exception {
    Map<String, String> config = new HashMap<>(freshTarget());
    config.put(InfluxDbSinkConfig.BATCH_MAX_POINTS, "10");
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    InfluxDbSinkTask task = start(config, context);
    List<MinuteCount> results = new ArrayList<>();
    List<SinkRecord> records = new ArrayList<>();
    for (int i = 0; i < 101; i++) {
      MinuteCount r = Results.result("p" + (i % 3), "e" + (i % 7),
          WORKED_MINUTE_MS + 60_000L * (i / 21), 10 + i, 1 + i % 10, true);
      results.add(r);
      records.add(Results.record(i, r));
    }
    assertEquals(101, new HashSet<>(pointsOf(results)).size() / 2, "distinct series and minutes");
    WorkerLoop.deliver(task, context, records, Duration.ofSeconds(10));
    assertSamePoints(pointsOf(results), readBack());
  }

  @Test
  void anUndecodableRecordGoesToTheReporterAndTheOthersAreWritten() throws Exception {
    RecordingSinkTaskContext context = RecordingSinkTaskContext.withReporter();
    InfluxDbSinkTask task = start(freshTarget(), context);
    MinuteCount before = Results.result("live", "rails-5xx", WORKED_MINUTE_MS, 2, 1, true);
    MinuteCount after = Results.result("live", "stuck_in_queue", WORKED_MINUTE_MS, 1, 1, true);
    SinkRecord garbage = Results.rawRecord(1, "not avro".getBytes(StandardCharsets.UTF_8));
    WorkerLoop.deliver(task, context, List.of(Results.record(0, before), garbage,
        Results.record(2, after)), Duration.ofSeconds(10));
    assertSamePoints(pointsOf(List.of(before, after)), readBack());
    assertEquals(1, context.reports().size());
    assertEquals(garbage, context.reports().get(0).record());
    assertTrue(context.reports().get(0).error() instanceof DataException);
  }
}
