package dev.tally.connect.influx;

import static dev.tally.connect.influx.Results.WORKED_MINUTE_MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class BatchWriterTest {

  /**
   * A server that refuses (400) any request with a line containing "bad", after writing the
   * other lines, as InfluxDB 1.x's partial write does.
   */
  private static final class PartialWriteServer implements InfluxWriter {
    final List<List<String>> requests = new ArrayList<>();
    final Set<String> stored = new LinkedHashSet<>();
    Function<List<String>, WriteFailure> failure = lines -> null;

    @Override
    public void write(List<String> lines) throws WriteFailure {
      requests.add(List.copyOf(lines));
      WriteFailure forced = failure.apply(lines);
      if (forced != null) {
        throw forced;
      }
      boolean bad = false;
      for (String line : lines) {
        if (line.contains("bad")) {
          bad = true;
        } else {
          stored.add(line);
        }
      }
      if (bad) {
        throw WriteFailure.ofStatus(400, "partial write: field type conflict dropped=1");
      }
    }

    @Override
    public void close() {
    }
  }

  private static List<BatchWriter.Pending> pending(int count, int... badIndexes) {
    PointMapper mapper = new PointMapper();
    List<BatchWriter.Pending> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      boolean bad = false;
      for (int b : badIndexes) {
        bad |= b == i;
      }
      var record = Results.record(i, Results.result(bad ? "bad" : "p", "e" + i,
          WORKED_MINUTE_MS, 2, 1, true));
      batch.add(new BatchWriter.Pending(record, mapper.lines(record)));
    }
    return batch;
  }

  @Test
  void recordsAreSentInRequestsOfAtMostTheLimitWithoutSplittingARecord() throws Exception {
    PartialWriteServer server = new PartialWriteServer();
    List<BatchWriter.Refused> refused = new BatchWriter(server, 5).write(pending(7));
    assertEquals(List.of(), refused);
    assertEquals(List.of(4, 4, 4, 2), server.requests.stream().map(List::size).toList());
    assertEquals(14, server.stored.size());
  }

  @Test
  void onlyTheRefusedRecordsAreReturnedAndAllOthersAreWritten() throws Exception {
    PartialWriteServer server = new PartialWriteServer();
    List<BatchWriter.Pending> batch = pending(64, 5, 40);
    List<BatchWriter.Refused> refused = new BatchWriter(server, 5_000).write(batch);
    assertEquals(List.of(5L, 40L), refused.stream().map(r -> r.record().kafkaOffset()).toList());
    assertTrue(refused.get(0).failure().getMessage().contains("field type conflict"));
    assertEquals(batch.get(5).lines(), refused.get(0).lines());
    assertEquals(124, server.stored.size());
    // bisection, not one request per record: 1 + 2 * (2 bad records * log2(64)) at most
    assertTrue(server.requests.size() <= 1 + 2 * 2 * 6, "requests: " + server.requests.size());
  }

  @Test
  void aTooLargeRequestIsSplit() throws Exception {
    PartialWriteServer server = new PartialWriteServer();
    server.failure = lines -> lines.size() > 8 ? WriteFailure.ofStatus(413, "too large") : null;
    assertEquals(List.of(), new BatchWriter(server, 5_000).write(pending(20)));
    assertEquals(40, server.stored.size());
  }

  @Test
  void retriableAndFatalFailuresStopTheBatchAsTheyAre() {
    PartialWriteServer server = new PartialWriteServer();
    WriteFailure unavailable = WriteFailure.ofStatus(503, "unavailable");
    server.failure = lines -> unavailable;
    WriteFailure thrown = assertThrows(WriteFailure.class,
        () -> new BatchWriter(server, 5_000).write(pending(3, 1)));
    assertSame(unavailable, thrown);
    assertEquals(1, server.requests.size());

    WriteFailure unauthorized = WriteFailure.ofStatus(401, "unauthorized");
    server.failure = lines -> unauthorized;
    assertSame(unauthorized, assertThrows(WriteFailure.class,
        () -> new BatchWriter(server, 5_000).write(pending(3))));
  }
}
