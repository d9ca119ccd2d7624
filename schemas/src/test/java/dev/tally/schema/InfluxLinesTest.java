package dev.tally.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class InfluxLinesTest {

  @Test
  void aResultIsTwoLinesAtTheWindowStartInNanoseconds() {
    MinuteCount result = new MinuteCount("live", "rails-5xx", Instant.ofEpochMilli(1478507520000L),
        Instant.ofEpochMilli(1478507580000L), 2L, 1L, true, Instant.ofEpochMilli(1478507590000L));
    assertEquals(List.of(
        "unique_user_event,event_type=rails-5xx,product=live value=1 1478507520000000000",
        "cumulative_user_event,event_type=rails-5xx,product=live value=2 1478507520000000000"),
        InfluxLines.of(result));
  }

  @Test
  void theIntegerRenderingAddsTheIntegerSuffixAndNothingElse() {
    MinuteCount result = new MinuteCount("live", "rails-5xx", Instant.ofEpochMilli(1478507520000L),
        Instant.ofEpochMilli(1478507580000L), 2L, 1L, true, Instant.ofEpochMilli(1478507590000L));
    assertEquals(List.of(
        "unique_user_event,event_type=rails-5xx,product=live value=1i 1478507520000000000",
        "cumulative_user_event,event_type=rails-5xx,product=live value=2i 1478507520000000000"),
        InfluxLines.withIntegerValues(result));
  }

  @Test
  void tagValuesAreEscaped() {
    assertEquals("a\\,b\\=c\\ d:|{}ü", InfluxLines.escapeTag("a,b=c d:|{}ü"));
    assertEquals("line\\nbreak", InfluxLines.escapeTag("line\nbreak"));
  }
}
