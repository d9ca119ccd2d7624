package dev.tally.decode;

import static dev.tally.decode.TestRecords.RECORD_NS;
import static dev.tally.decode.TestRecords.assertEvents;
import static dev.tally.decode.TestRecords.assertOnlyRejection;
import static dev.tally.decode.TestRecords.assertPayload;
import static dev.tally.decode.TestRecords.assertRejection;
import static dev.tally.decode.TestRecords.decode;
import static dev.tally.decode.TestRecords.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LineProtocolEventsTest {

  private static final long TS = 1_478_507_534_415_525_888L;
  private static final long TS2 = 1_478_507_534_415_525_890L;

  /** What products send: with and without a measurement, quoted and bare, with and without a timestamp. */
  private static final List<String> WORKED_EXAMPLE = List.of(
      "event_type=rails-5xx,product=live value=testusername1 1478507534415525888",
      "event_type=stuck_in_queue,product=live value=testusername2 1478507534415525888",
      "event_type=browser_error,product=automate value=\"testusername3\" 1478507534415525888",
      "events,event_type=browser_error,product=automate value=testusername4",
      "event_type=rails-5xx,product=live value=testusername1 1478507534415525890");

  private static final List<UserEvent> WORKED_EXAMPLE_EVENTS = List.of(
      new UserEvent("live", "rails-5xx", "testusername1", TS),
      new UserEvent("live", "stuck_in_queue", "testusername2", TS),
      new UserEvent("automate", "browser_error", "testusername3", TS),
      new UserEvent("automate", "browser_error", "testusername4", RECORD_NS),
      new UserEvent("live", "rails-5xx", "testusername1", TS2));

  @Test
  void workedExampleOneRecordPerLine() {
    EventDecoder decoder = new EventDecoder();
    List<UserEvent> events = new ArrayList<>();
    for (String line : WORKED_EXAMPLE) {
      Decoded decoded = decoder.decode(utf8(line), TestRecords.RECORD_MS);
      assertEquals(InputFormat.LINE_PROTOCOL, decoded.format());
      assertEquals(List.of(), decoded.rejections());
      assertEquals(1, decoded.events().size(), line);
      events.addAll(decoded.events());
    }
    assertEquals(WORKED_EXAMPLE_EVENTS, events);
  }

  @Test
  void workedExampleAllLinesInOneRecord() {
    Decoded decoded = decode(String.join("\n", WORKED_EXAMPLE) + "\n");

    assertEquals(InputFormat.LINE_PROTOCOL, decoded.format());
    assertEvents(decoded, WORKED_EXAMPLE_EVENTS.toArray(UserEvent[]::new));
  }

  @Test
  void quotedAndBareUsernamesAreTheSame() {
    assertEquals(decode("event_type=e,product=p value=\"alice\" " + TS).events(),
        decode("event_type=e,product=p value=alice " + TS).events());
    assertEvents(decode("event_type=e,product=p value=alice " + TS), new UserEvent("p", "e", "alice", TS));
  }

  @Test
  void missingTimestampTakesTheRecordTimestamp() {
    assertEvents(decode("event_type=e,product=p value=alice"), new UserEvent("p", "e", "alice", RECORD_NS));
    assertEvents(decode("m,event_type=e,product=p value=\"alice\"   \n"), new UserEvent("p", "e", "alice", RECORD_NS));
  }

  @Test
  void otherTagsAndFieldsAreIgnoredInAnyOrder() {
    assertEvents(decode("m,host=a,product=p,region=eu\\ west,event_type=e count=3i,value=\"bob\",ok=true " + TS),
        new UserEvent("p", "e", "bob", TS));
  }

  @Test
  void oneBadLineIsRejectedAloneAndTheOthersAreKept() {
    String bad = "event_type=e,product=p value=carol 1478507534";
    Decoded decoded = decode("event_type=e,product=p value=alice " + TS + "\r\n"
        + bad + "\r\n"
        + "event_type=e,product=p value=bob " + TS + "\r\n");

    assertEquals(List.of(new UserEvent("p", "e", "alice", TS), new UserEvent("p", "e", "bob", TS)), decoded.events());
    assertEquals(1, decoded.rejections().size());
    Rejection rejection = assertRejection(decoded.rejections().get(0), BadInputReason.TIMESTAMP_NOT_NANOS, "1478507534");
    assertPayload(bad, rejection);
  }

  @Test
  void unterminatedQuoteDoesNotSwallowTheNextLine() {
    String bad = "event_type=e,product=p value=\"alice " + TS;
    Decoded decoded = decode(bad + "\nevent_type=e,product=p value=\"bob\" " + TS);

    assertEquals(List.of(new UserEvent("p", "e", "bob", TS)), decoded.events());
    assertPayload(bad, assertRejection(decoded.rejections().get(0), BadInputReason.UNPARSEABLE, "unterminated"));
  }

  @Test
  void invalidUtf8LineIsRejectedAlone() {
    byte[] good = utf8("event_type=e,product=p value=alice " + TS + "\n");
    byte[] bad = {'e', 'v', '=', (byte) 0xC3, (byte) 0x28};
    byte[] record = new byte[good.length + bad.length];
    System.arraycopy(good, 0, record, 0, good.length);
    System.arraycopy(bad, 0, record, good.length, bad.length);

    Decoded decoded = decode(record);

    assertEquals(List.of(new UserEvent("p", "e", "alice", TS)), decoded.events());
    assertEquals(1, decoded.rejections().size());
    Rejection rejection = assertRejection(decoded.rejections().get(0), BadInputReason.UNPARSEABLE, "UTF-8");
    org.junit.jupiter.api.Assertions.assertArrayEquals(bad, rejection.payload());
  }

  @Test
  void blankAndCommentLinesAreSkipped() {
    assertEvents(decode("# products send this\n\n   \r\n\t# indented comment\nevent_type=e,product=p value=a " + TS + "\n\n"),
        new UserEvent("p", "e", "a", TS));
  }

  @Test
  void recordOfOnlyCommentsIsRejectedNotDropped() {
    assertOnlyRejection(decode("# nothing here\n# at all\n"), BadInputReason.UNPARSEABLE, "no events");
  }

  @Test
  void singleLineRejectionCarriesTheWholeRecord() {
    String record = "event_type=e,product=p value=alice 12\n";
    assertPayload(record, assertOnlyRejection(decode(record), BadInputReason.TIMESTAMP_NOT_NANOS, "12"));
  }

  @Test
  void escapedSeparatorsStayInTagValuesAndBareUsernames() {
    assertEvents(decode("event_type=a\\,b\\=c\\ d,product=x\\y value=u\\ v\\,w\\=z " + TS),
        new UserEvent("x\\y", "a,b=c d", "u v,w=z", TS));
  }

  @Test
  void quotedUsernameKeepsSpacesCommasEqualsAndEscapedQuotes() {
    assertEvents(decode("event_type=e,product=p value=\"a b,c=d \\\"q\\\" back\\\\slash \\n\" " + TS),
        new UserEvent("p", "e", "a b,c=d \"q\" back\\slash \\n", TS));
  }

  @Test
  void escapedMeasurementIsIgnored() {
    assertEvents(decode("my\\ measure\\,ment,event_type=e,product=p value=a " + TS), new UserEvent("p", "e", "a", TS));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "product=p value=a 1478507534415525888",
      "m,product=p value=a 1478507534415525888",
      "event_type=,product=p value=a 1478507534415525888",
      "event\\_type=e,product=p value=a 1478507534415525888"})
  void missingOrEmptyEventTypeTag(String line) {
    assertOnlyRejection(decode(line), BadInputReason.MISSING_FIELD, "tag 'event_type'");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "event_type=e value=a 1478507534415525888",
      "event_type=e,product= value=a"})
  void missingOrEmptyProductTag(String line) {
    assertOnlyRejection(decode(line), BadInputReason.MISSING_FIELD, "tag 'product'");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "event_type=e,product=p user=a 1478507534415525888",
      "event_type=e,product=p value= 1478507534415525888",
      "event_type=e,product=p value=\"\" 1478507534415525888",
      "event_type=e,product=p x=1,value=,y=2"})
  void missingOrEmptyUsername(String line) {
    assertOnlyRejection(decode(line), BadInputReason.MISSING_FIELD, "field 'value' (the username)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1478507534", "1478507534415", "1478507534415525", "99999999999999999", "-1", "0"})
  void timestampThatIsNotNanoseconds(String timestamp) {
    assertOnlyRejection(decode("event_type=e,product=p value=a " + timestamp), BadInputReason.TIMESTAMP_NOT_NANOS,
        "timestamp " + timestamp + " ");
  }

  @Test
  void smallestNanosecondTimestampIsAccepted() {
    assertEvents(decode("event_type=e,product=p value=a 100000000000000000"),
        new UserEvent("p", "e", "a", 100_000_000_000_000_000L));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "event_type=e,product=p",
      "event_type=e,product=p   ",
      "event_type=e,product=p value=a 1478507534.415",
      "event_type=e,product=p value=a 1478507534415525888i",
      "event_type=e,product=p value=a 99999999999999999999",
      "event_type=e,product=p value=a 1478507534415525888 extra",
      "event_type=e,product=p value=a -",
      "event_type=e,product=p,stray value=a",
      "event_type=e,,product=p value=a",
      ",event_type=e,product=p value=a",
      "event_type=e,=x,product=p value=a",
      "event_type=e,product=p value",
      "event_type=e,product=p value=a,",
      "event_type=e,product=p =a",
      "event_type=e,product=p value=\"a\"b",
      "event_type=e,product=p value=\"a"})
  void syntaxErrors(String line) {
    assertOnlyRejection(decode(line), BadInputReason.UNPARSEABLE, "");
  }

  @Test
  void stateOfOneLineDoesNotLeakIntoTheNext() {
    EventDecoder decoder = new EventDecoder();
    decoder.decode(utf8("event_type=e,product=p value=alice " + TS), TestRecords.RECORD_MS);
    assertOnlyRejection(decoder.decode(utf8("event_type=e,product=p x=1"), TestRecords.RECORD_MS),
        BadInputReason.MISSING_FIELD, "username");
    Decoded decoded = decode("event_type=e,product=p value=alice " + TS + "\nevent_type=f,product=q x=1");
    assertEquals(List.of(new UserEvent("p", "e", "alice", TS)), decoded.events());
    assertRejection(decoded.rejections().get(0), BadInputReason.MISSING_FIELD, "username");
  }

  @Test
  void writePrecisionScalesTimestampsToNanoseconds() {
    EventDecoder decoder = new EventDecoder();
    Decoded seconds = decoder.decodeLines(utf8("event_type=e,product=p value=\"a\" 1478507534\n"
        + "event_type=e,product=p value=\"b\""), 1_000_000_000L, TestRecords.RECORD_MS);
    assertEquals(List.of(new UserEvent("p", "e", "a", 1_478_507_534_000_000_000L),
        new UserEvent("p", "e", "b", RECORD_NS)), seconds.events());
    Decoded hours = decoder.decodeLines(utf8("event_type=e,product=p value=a 410696"),
        3_600_000_000_000L, TestRecords.RECORD_MS);
    assertEquals(410_696L * 3_600_000_000_000L, hours.events().get(0).timestampNs());
    // the unit does not stick to the decoder: the next record's timestamps are nanoseconds again
    assertEquals(TS, decoder.decode(utf8("event_type=e,product=p value=a " + TS), TestRecords.RECORD_MS)
        .events().get(0).timestampNs());
  }

  @Test
  void writePrecisionStillRefusesTheWrongUnitAndOverflow() {
    EventDecoder decoder = new EventDecoder();
    // milliseconds sent as precision=s: still not nanoseconds after scaling
    assertOnlyRejection(decoder.decodeLines(utf8("event_type=e,product=p value=a 1478507534"),
        1_000L, TestRecords.RECORD_MS), BadInputReason.TIMESTAMP_NOT_NANOS, "");
    assertOnlyRejection(decoder.decodeLines(utf8("event_type=e,product=p value=a 9223372036854775"),
        1_000_000_000L, TestRecords.RECORD_MS), BadInputReason.UNPARSEABLE, "64 bits");
  }

  @Test
  void aWriteBodyOfNoLinesYieldsNothing() {
    Decoded decoded = new EventDecoder().decodeLines(utf8("\n# only a comment\n\n"), 1, TestRecords.RECORD_MS);
    assertEquals(List.of(), decoded.events());
    assertEquals(List.of(), decoded.rejections());
  }
}
