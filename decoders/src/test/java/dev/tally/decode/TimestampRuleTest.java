package dev.tally.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class TimestampRuleTest {

  @Test
  void thresholdIsEarly1973() {
    assertEquals(Instant.parse("1973-03-03T09:46:40Z"), Instant.EPOCH.plusNanos(TimestampRule.MIN_NANOS));
    assertTrue(TimestampRule.isNanos(TimestampRule.MIN_NANOS));
    assertFalse(TimestampRule.isNanos(TimestampRule.MIN_NANOS - 1));
  }

  @ParameterizedTest
  @CsvSource({
      "1478507534, seconds",
      "1478507534415, milliseconds",
      "1478507534415525, microseconds",
      "-1478507534415525888, negative"})
  void coarserUnitsAreRefusedAndNamed(long timestamp, String unit) {
    assertFalse(TimestampRule.isNanos(timestamp));
    String message = TimestampRule.notNanosMessage(timestamp);
    assertTrue(message.contains(Long.toString(timestamp)), message);
    assertTrue(message.contains(unit), message);
  }

  @Test
  void recordTimestampScalesToNanosAndOverflowFails() {
    assertEquals(1_478_507_534_415_000_000L, TimestampRule.fromRecordMillis(1_478_507_534_415L));
    assertFalse(TimestampRule.isNanos(TimestampRule.fromRecordMillis(Long.MAX_VALUE)));
    assertFalse(TimestampRule.isNanos(TimestampRule.fromRecordMillis(-1L)));
  }

  @ParameterizedTest
  @CsvSource({"0, 0", "1478507534415525888, 1478507534415525888", "-12, -12",
      "9223372036854775807, 9223372036854775807", "-9223372036854775808, -9223372036854775808"})
  void parsesDecimalIntegers(String text, long expected) {
    byte[] bytes = ("x" + text + "y").getBytes(StandardCharsets.US_ASCII);
    assertEquals(expected, TimestampRule.parseDecimal(bytes, 1, bytes.length - 1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-", "+1", "1.5", "1e18", "12a", " 1", "9223372036854775808", "-9223372036854775809", "١٢"})
  void refusesAnythingElse(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    assertThrows(NumberFormatException.class, () -> TimestampRule.parseDecimal(bytes, 0, bytes.length));
  }
}
