package dev.tally.connect.influx;

import static dev.tally.connect.influx.Results.WORKED_MINUTE_MS;
import static dev.tally.connect.influx.Results.record;
import static dev.tally.connect.influx.Results.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.schema.RangeCount;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class PointMapperTest {

  private final PointMapper mapper = new PointMapper();

  @Test
  void aFinalResultIsTwoIntegerPointsAtTheWindowStartInNanoseconds() {
    assertEquals(List.of(
        "unique_user_event,event_type=rails-5xx,product=live value=1i 1478507520000000000",
        "cumulative_user_event,event_type=rails-5xx,product=live value=2i 1478507520000000000"),
        mapper.lines(record(7, result("live", "rails-5xx", WORKED_MINUTE_MS, 2, 1, true))));
  }

  @Test
  void anHoursOrDaysDistinctUsersIsOneIntegerPointAtItsStart() throws Exception {
    Instant hour = Instant.parse("2016-11-07T08:00:00Z");
    RangeCount range = new RangeCount("live", "rails-5xx", "1h", hour, hour.plusSeconds(3_600), 812L,
        true, hour.plusSeconds(3_700));
    assertEquals(List.of("unique_user_event_1h,event_type=rails-5xx,product=live value=812i "
        + "1478505600000000000"), mapper.lines(Results.rawRecord(3, Results.bytes(range))));
    Instant day = Instant.parse("2016-11-07T00:00:00Z");
    RangeCount daily = new RangeCount("live", "rails-5xx", "1d", day, day.plusSeconds(86_400),
        40_123L, false, day.plusSeconds(86_500));
    assertEquals(List.of("unique_user_event_1d,event_type=rails-5xx,product=live value=40123i "
        + "1478476800000000000"), mapper.lines(Results.rawRecord(4, Results.bytes(daily))));

    byte[] truncated = Results.bytes(range);
    DataException broken = assertThrows(DataException.class, () -> mapper.lines(Results.rawRecord(5,
        java.util.Arrays.copyOf(truncated, truncated.length - 4))));
    assertTrue(broken.getMessage().contains("RangeCount"), broken.getMessage());
  }

  @Test
  void liveUpdatesAndTombstonesBecomeNothing() {
    assertEquals(List.of(),
        mapper.lines(record(1, result("live", "rails-5xx", WORKED_MINUTE_MS, 2, 1, false))));
    assertEquals(List.of(), mapper.lines(Results.rawRecord(2, null)));
  }

  @Test
  void aByteBufferValueWorksToo() {
    byte[] bytes = Results.bytes(result("p", "e", WORKED_MINUTE_MS, 3, 2, true));
    SinkRecord record = new SinkRecord("t", 0, null, null, Schema.BYTES_SCHEMA,
        ByteBuffer.wrap(bytes), 0);
    assertEquals(2, mapper.lines(record).size());
  }

  @Test
  void awkwardTagValuesAreEscaped() {
    List<String> lines = mapper.lines(record(1,
        result("pro duct,x=y", "ümlaut 日本", WORKED_MINUTE_MS, 2, 1, true)));
    assertEquals("unique_user_event,event_type=ümlaut\\ 日本,product=pro\\ duct\\,x\\=y "
        + "value=1i 1478507520000000000", lines.get(0));
  }

  @Test
  void anythingElseIsADataExceptionWithTheRecordsCoordinates() {
    DataException garbage = assertThrows(DataException.class, () -> mapper.lines(
        Results.rawRecord(42, "event_type=x value=1".getBytes(StandardCharsets.UTF_8))));
    assertTrue(garbage.getMessage().contains("topic=minute-counts partition=0 offset=42"),
        garbage.getMessage());

    byte[] truncated = Results.bytes(result("p", "e", WORKED_MINUTE_MS, 3, 2, true));
    assertThrows(DataException.class, () -> mapper.lines(Results.rawRecord(43,
        java.util.Arrays.copyOf(truncated, truncated.length - 4))));

    DataException string = assertThrows(DataException.class, () -> mapper.lines(
        new SinkRecord("t", 0, null, null, Schema.STRING_SCHEMA, "text", 44)));
    assertTrue(string.getMessage().contains("ByteArrayConverter"), string.getMessage());
  }
}
