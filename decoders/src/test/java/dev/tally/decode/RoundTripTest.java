package dev.tally.decode;

import static dev.tally.decode.TestRecords.assertEvents;
import static dev.tally.decode.TestRecords.decode;
import static dev.tally.decode.TestRecords.lpEscape;
import static dev.tally.decode.TestRecords.lpLine;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.params.ParameterizedTest;

/** Awkward names survive each format's own quoting and escaping unchanged. */
class RoundTripTest {

  private static final long TS = 1_478_507_534_415_525_888L;

  private static final String[] NAMES = {
      "plain",
      "with space",
      "comma,separated",
      "key=value",
      "a, b = c",
      "host:port",
      "a|b|c",
      "{braces}",
      "{\"json\": [1]}",
      "prodüct 日本",
      "emoji 😀",
      "tab\there",
      "trailing space ",
      " leading space",
      "quote\"inside",
      "\"quoted\"",
      "back\\slash",
      "#not a comment",
      "1478507534415525888"};

  @ParameterizedTest
  @ValueSourceNames
  void lineProtocolWithQuotedUsername(String name) {
    UserEvent event = new UserEvent(name, name + "-type", name, TS);
    assertEvents(decode(lpLine(event.product(), event.eventType(), event.username(), TS)), event);
  }

  @ParameterizedTest
  @ValueSourceNames
  void lineProtocolWithBareUsername(String name) {
    UserEvent event = new UserEvent(name, name + "-type", name, TS);
    assumeFalse(name.startsWith("\""), "a bare value cannot start with a quote: that makes it a quoted one");
    String line = "measurement,event_type=" + lpEscape(event.eventType()) + ",product=" + lpEscape(name)
        + " value=" + lpEscape(name) + " " + TS;
    assertEvents(decode(line), event);
  }

  @ParameterizedTest
  @ValueSourceNames
  void json(String name) {
    UserEvent event = new UserEvent(name, name + "-type", name, TS);
    assertEvents(decode(TestRecords.json(name, name + "-type", name, TS)), event);
  }

  @ParameterizedTest
  @ValueSourceNames
  void avro(String name) {
    UserEvent event = new UserEvent(name, name + "-type", name, TS);
    assertEvents(decode(EventDecoder.encodeAvro(event)), event);
  }

  /** Feeds every entry of {@link #NAMES}. */
  @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
  @org.junit.jupiter.params.provider.MethodSource("dev.tally.decode.RoundTripTest#names")
  @interface ValueSourceNames {}

  static String[] names() {
    return NAMES;
  }
}
