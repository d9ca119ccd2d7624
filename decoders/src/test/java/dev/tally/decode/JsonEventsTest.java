package dev.tally.decode;

import static dev.tally.decode.TestRecords.RECORD_NS;
import static dev.tally.decode.TestRecords.assertEvents;
import static dev.tally.decode.TestRecords.assertOnlyRejection;
import static dev.tally.decode.TestRecords.assertPayload;
import static dev.tally.decode.TestRecords.assertRejection;
import static dev.tally.decode.TestRecords.decode;
import static dev.tally.decode.TestRecords.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonEventsTest {

  private static final long TS = 1_478_507_534_415_525_888L;

  @Test
  void oneObject() {
    Decoded decoded = decode("{\"event_type\":\"rails-5xx\",\"product\":\"live\",\"username\":\"alice\",\"timestamp\":" + TS + "}");

    assertEquals(InputFormat.JSON, decoded.format());
    assertEvents(decoded, new UserEvent("live", "rails-5xx", "alice", TS));
  }

  @Test
  void timestampAsStringOfDigits() {
    assertEvents(decode("{\"event_type\":\"e\",\"product\":\"p\",\"username\":\"a\",\"timestamp\":\"" + TS + "\"}"),
        new UserEvent("p", "e", "a", TS));
  }

  @Test
  void missingOrNullTimestampTakesTheRecordTimestamp() {
    assertEvents(decode(json("p", "e", "a", null)), new UserEvent("p", "e", "a", RECORD_NS));
    assertEvents(decode("{\"event_type\":\"e\",\"product\":\"p\",\"username\":\"a\",\"timestamp\":null}"),
        new UserEvent("p", "e", "a", RECORD_NS));
  }

  @Test
  void jsonLinesWithTwoObjects() {
    Decoded decoded = decode("  {\"event_type\":\"e\",\"product\":\"p\",\"username\":\"a\",\"timestamp\":" + TS + "}\n"
        + "{\"username\":\"b\",\"product\":\"q\",\"event_type\":\"f\"}\n");

    assertEquals(InputFormat.JSON, decoded.format());
    assertEvents(decoded, new UserEvent("p", "e", "a", TS), new UserEvent("q", "f", "b", RECORD_NS));
  }

  @Test
  void unknownFieldsOfAnyShapeAreIgnored() {
    assertEvents(decode("{\"meta\":{\"username\":\"x\",\"list\":[1,{\"product\":2}]},\"event_type\":\"e\","
            + "\"product\":\"p\",\"username\":\"a\",\"tags\":[\"t\"],\"n\":1.5,\"timestamp\":" + TS + "}"),
        new UserEvent("p", "e", "a", TS));
  }

  @Test
  void oneBadObjectIsRejectedAloneWithItsOwnBytes() {
    String bad = "{\"event_type\":\"e\",\"product\":\"p\"}";
    Decoded decoded = decode(new String(json("p", "e", "a", TS), StandardCharsets.UTF_8) + "\n" + bad + "\n"
        + new String(json("p", "e", "b", TS), StandardCharsets.UTF_8));

    assertEquals(List.of(new UserEvent("p", "e", "a", TS), new UserEvent("p", "e", "b", TS)), decoded.events());
    assertEquals(1, decoded.rejections().size());
    assertPayload(bad, assertRejection(decoded.rejections().get(0), BadInputReason.MISSING_FIELD, "'username'"));
  }

  @Test
  void syntaxErrorRejectsTheRestOfTheRecordButKeepsWhatCameBefore() {
    String rest = "{\"event_type\":\"e\",\"product\" \"p\"}\n{\"event_type\":\"e\",\"product\":\"p\",\"username\":\"c\"}";
    Decoded decoded = decode(new String(json("p", "e", "a", TS), StandardCharsets.UTF_8) + "\n" + rest);

    assertEquals(List.of(new UserEvent("p", "e", "a", TS)), decoded.events());
    assertEquals(1, decoded.rejections().size());
    assertPayload(rest, assertRejection(decoded.rejections().get(0), BadInputReason.UNPARSEABLE, "invalid JSON"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{",
      "{\"event_type\":\"e\"",
      "{\"event_type\":\"e\",}",
      "{\"event_type\":'e'}",
      "{\"event_type\" \"e\"}",
      "{\"event_type\":[}",
      " \t{\"event_type\":tru}"})
  void syntaxErrors(String record) {
    Decoded decoded = decode(record);

    assertEquals(InputFormat.JSON, decoded.format());
    assertPayload(record, assertOnlyRejection(decoded, BadInputReason.UNPARSEABLE, "invalid JSON"));
  }

  @ParameterizedTest
  @ValueSource(strings = {",", "}", " trailing", " 5", " [1, 2]", " \"x\"", "{\"a\""})
  void junkAfterAGoodObjectIsRejectedAlone(String junk) {
    Decoded decoded = decode("{\"event_type\":\"e\",\"product\":\"p\",\"username\":\"a\"}" + junk);

    assertEquals(List.of(new UserEvent("p", "e", "a", RECORD_NS)), decoded.events());
    assertEquals(1, decoded.rejections().size());
    assertPayload(junk.strip(), assertRejection(decoded.rejections().get(0), BadInputReason.UNPARSEABLE, ""));
  }

  @Test
  void brokenSingleObjectRejectsTheWholeRecord() {
    String record = "{\"event_type\":\"e\",\"product\":\"p\",\"username\":\"a\"\n";
    assertPayload(record, assertOnlyRejection(decode(record), BadInputReason.UNPARSEABLE, "invalid JSON"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"event_type", "product", "username"})
  void missingRequiredField(String field) {
    String record = "{\"event_type\":\"e\",\"product\":\"p\",\"username\":\"a\"}".replace("\"" + field + "\"", "\"other\"");
    assertOnlyRejection(decode(record), BadInputReason.MISSING_FIELD, "field '" + field + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"event_type", "product", "username"})
  void emptyRequiredField(String field) {
    String record = "{\"event_type\":\"e\",\"product\":\"p\",\"username\":\"a\"}"
        .replaceFirst("\"" + field + "\":\"[a-z]\"", "\"" + field + "\":\"\"");
    assertOnlyRejection(decode(record), BadInputReason.MISSING_FIELD, "field '" + field + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"null", "5", "true", "{\"name\":\"a\"}", "[\"a\"]"})
  void requiredFieldThatIsNotAString(String value) {
    assertOnlyRejection(decode("{\"event_type\":\"e\",\"product\":\"p\",\"username\":" + value + "}"),
        BadInputReason.MISSING_FIELD, "'username'");
  }

  @Test
  void emptyObjectNamesTheFirstMissingField() {
    assertOnlyRejection(decode("{}"), BadInputReason.MISSING_FIELD, "'event_type'");
  }

  @ParameterizedTest
  @ValueSource(longs = {1_478_507_534L, 1_478_507_534_415L, 1_478_507_534_415_525L, -5L})
  void timestampThatIsNotNanoseconds(long timestamp) {
    assertOnlyRejection(decode(json("p", "e", "a", timestamp)), BadInputReason.TIMESTAMP_NOT_NANOS,
        "timestamp " + timestamp + " ");
    assertOnlyRejection(decode("{\"event_type\":\"e\",\"product\":\"p\",\"username\":\"a\",\"timestamp\":\"" + timestamp + "\"}"),
        BadInputReason.TIMESTAMP_NOT_NANOS, "timestamp " + timestamp + " ");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.4785075344155259E18", "\"1478507534415525888ns\"", "\"\"", "\"+1478507534415525888\"",
      "99999999999999999999", "true", "[1478507534415525888]"})
  void timestampThatIsNotAnInteger(String timestamp) {
    assertOnlyRejection(decode("{\"event_type\":\"e\",\"product\":\"p\",\"username\":\"a\",\"timestamp\":" + timestamp + "}"),
        BadInputReason.UNPARSEABLE, "timestamp");
  }

  @Test
  void unicodeEscapesAndRawUtf8AreTheSameName() {
    UserEvent expected = new UserEvent("prodüct 日本", "e", "a", TS);
    assertEvents(decode("{\"event_type\":\"e\",\"product\":\"prod\\u00fcct \\u65e5\\u672c\",\"username\":\"a\",\"timestamp\":" + TS + "}"),
        expected);
    assertEvents(decode("{\"event_type\":\"e\",\"product\":\"prodüct 日本\",\"username\":\"a\",\"timestamp\":" + TS + "}"),
        expected);
  }

  @Test
  void invalidUtf8IsUnparseable() {
    byte[] record = json("p", "e", "ab", TS);
    int at = new String(record, StandardCharsets.ISO_8859_1).indexOf("ab");
    record[at] = (byte) 0xC3;
    record[at + 1] = (byte) 0x28;

    Rejection rejection = assertOnlyRejection(decode(record), BadInputReason.UNPARSEABLE, "UTF-8");
    assertArrayEquals(record, rejection.payload());
  }

  @Test
  void utf16JsonIsUnparseable() {
    byte[] record = "{\"event_type\":\"e\",\"product\":\"p\",\"username\":\"a\"}".getBytes(StandardCharsets.UTF_16LE);
    assertOnlyRejection(decode(record), BadInputReason.UNPARSEABLE, "");
  }
}
