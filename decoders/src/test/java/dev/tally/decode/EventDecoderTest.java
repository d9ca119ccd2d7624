package dev.tally.decode;

import static dev.tally.decode.TestRecords.RECORD_MS;
import static dev.tally.decode.TestRecords.RECORD_NS;
import static dev.tally.decode.TestRecords.assertOnlyRejection;
import static dev.tally.decode.TestRecords.decode;
import static dev.tally.decode.TestRecords.json;
import static dev.tally.decode.TestRecords.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventDecoderTest {

  private static final long TS = 1_478_507_534_415_525_888L;

  @Test
  void formatIsRecognisedFromTheFirstBytes() {
    UserEvent event = new UserEvent("p", "e", "u", TS);
    assertEquals(InputFormat.AVRO, decode(EventDecoder.encodeAvro(event)).format());
    assertEquals(InputFormat.JSON, decode(json("p", "e", "u", TS)).format());
    assertEquals(InputFormat.JSON, decode(" \r\n\t" + new String(json("p", "e", "u", TS), StandardCharsets.UTF_8)).format());
    assertEquals(InputFormat.LINE_PROTOCOL, decode("event_type=e,product=p value=u " + TS).format());
    assertEquals(InputFormat.LINE_PROTOCOL, decode("[1, 2]").format());
  }

  @Test
  void nullValueIsAnEmptyRecord() {
    Decoded decoded = new EventDecoder().decode(null, RECORD_MS);

    assertEquals(InputFormat.LINE_PROTOCOL, decoded.format());
    Rejection rejection = assertOnlyRejection(decoded, BadInputReason.UNPARSEABLE, "empty record");
    assertEquals(0, rejection.payload().length);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "\n", "\r\n\r\n", " \t \n"})
  void emptyOrBlankValueIsAnEmptyRecord(String record) {
    Rejection rejection = assertOnlyRejection(decode(record), BadInputReason.UNPARSEABLE, "empty record");
    assertEquals(record, new String(rejection.payload(), StandardCharsets.UTF_8));
  }

  @Test
  void eventsWithoutTimestampTakeTheRecordTimestampInEveryTextFormat() {
    UserEvent expected = new UserEvent("p", "e", "u", RECORD_NS);
    assertEquals(List.of(expected), decode(json("p", "e", "u", null)).events());
    assertEquals(List.of(expected), decode("event_type=e,product=p value=u").events());
  }

  @ParameterizedTest
  @ValueSource(longs = {-1L, 0L, 1_478_507_534L})
  void unusableRecordTimestampRejectsEventsThatHaveNone(long recordTimestampMs) {
    EventDecoder decoder = new EventDecoder();
    assertOnlyRejection(decoder.decode(json("p", "e", "u", null), recordTimestampMs),
        BadInputReason.TIMESTAMP_NOT_NANOS, "record timestamp (" + recordTimestampMs + " ms)");
    assertOnlyRejection(decoder.decode(utf8("event_type=e,product=p value=u"), recordTimestampMs),
        BadInputReason.TIMESTAMP_NOT_NANOS, "record timestamp (" + recordTimestampMs + " ms)");
    assertEquals(1, decoder.decode(json("p", "e", "u", TS), recordTimestampMs).events().size());
  }

  @Test
  void decodedListsCannotBeChangedByTheCaller() {
    UserEvent event = new UserEvent("p", "e", "u", TS);
    for (String record : List.of("event_type=e,product=p value=u " + TS, "event_type=e,product=p value=u " + TS
        + "\nevent_type=e,product=p value=u " + TS + "\nbad")) {
      Decoded decoded = decode(record);
      assertThrows(UnsupportedOperationException.class, () -> decoded.events().add(event));
      assertThrows(UnsupportedOperationException.class, () -> decoded.rejections().clear());
    }
  }

  @Test
  void randomBytesAreUnparseable() {
    Random random = new Random(20161107L);
    EventDecoder decoder = new EventDecoder();
    for (int i = 0; i < 20_000; i++) {
      byte[] garbage = new byte[32 + random.nextInt(480)];
      random.nextBytes(garbage);

      Decoded decoded = decoder.decode(garbage, RECORD_MS);

      assertTrue(decoded.events().isEmpty(), () -> "events from " + Arrays.toString(garbage));
      assertFalse(decoded.rejections().isEmpty(), () -> "nothing said about " + Arrays.toString(garbage));
      for (Rejection rejection : decoded.rejections()) {
        assertEquals(BadInputReason.UNPARSEABLE, rejection.reason(), rejection.message());
      }
    }
  }

  /**
   * Broken variants of every format, short and long: the decoder must answer for each record
   * (events, rejections or both) and must never throw or fall back on its last-resort handler.
   */
  @Test
  void corruptedRecordsNeverThrow() {
    Random random = new Random(42L);
    List<byte[]> seeds = List.of(
        EventDecoder.encodeAvro(new UserEvent("prodüct 日本", "e", "user", TS)),
        json("p", "e", "u", TS),
        utf8("{\"event_type\":\"e\",\"product\":\"p\",\"username\":\"u\",\"timestamp\":\"" + TS + "\"}\n{\"x\":[{}]}"),
        utf8("m,event_type=e\\ x,product=p value=\"u \\\"q\\\"\",n=1i " + TS + "\r\n# c\nevent_type=e,product=p value=u\\,v"));
    EventDecoder decoder = new EventDecoder();
    for (int i = 0; i < 50_000; i++) {
      byte[] seed = seeds.get(i % seeds.size());
      byte[] record = mutate(seed, random);

      Decoded decoded = decoder.decode(record, RECORD_MS);

      assertFalse(decoded.events().isEmpty() && decoded.rejections().isEmpty(), () -> "silently dropped " + Arrays.toString(record));
      for (Rejection rejection : decoded.rejections()) {
        assertFalse(rejection.message().startsWith("internal decoder error"),
            () -> rejection.message() + " for " + Arrays.toString(record));
      }
    }
    for (int i = 0; i < 20_000; i++) {
      byte[] garbage = new byte[random.nextInt(24)];
      random.nextBytes(garbage);
      Decoded decoded = decoder.decode(garbage, RECORD_MS);
      assertFalse(decoded.events().isEmpty() && decoded.rejections().isEmpty(), () -> "silently dropped " + Arrays.toString(garbage));
      decoded.rejections().forEach(r -> assertFalse(r.message().startsWith("internal decoder error"), r.message()));
    }
  }

  /**
   * The byte-range path (what Tally's routing stage uses) gives exactly the events and rejections of
   * the object path, for good records of every format, Avro with empty fields or a timestamp that is
   * not nanoseconds, and broken variants of them all.
   */
  @Test
  void sinkGetsTheEventsAndRejectionsOfTheObjectPath() {
    Random random = new Random(7L);
    List<byte[]> seeds = List.of(
        EventDecoder.encodeAvro(new UserEvent("prodüct 日本", "e", "user", TS)),
        EventDecoder.encodeAvro(new UserEvent("live", "rails-5xx", "", TS)),
        EventDecoder.encodeAvro(new UserEvent("", "rails-5xx", "u", TS)),
        EventDecoder.encodeAvro(new UserEvent("live", "rails-5xx", "u", 1_478_507_534L)),
        json("p", "e", "u", TS),
        utf8("{\"event_type\":\"e\",\"product\":\"p\",\"username\":\"u\"}\n{\"product\":\"q\"}"),
        utf8("event_type=e,product=p value=\"u1\" " + TS + "\nevent_type=f,product=p value=\"u2\"\nbad line"));
    EventDecoder objects = new EventDecoder();
    EventDecoder bytes = new EventDecoder();
    int avroEvents = 0;
    int otherEvents = 0;
    for (int i = 0; i < 30_000; i++) {
      byte[] seed = seeds.get(i % seeds.size());
      byte[] record = i < seeds.size() ? seed : mutate(seed, random);
      Decoded expected = objects.decode(record, RECORD_MS);
      List<UserEvent> handed = new ArrayList<>();

      Decoded decoded = bytes.decode(record, RECORD_MS, event -> handed.add(event.toUserEvent()));

      assertEquals(expected.events(), handed, () -> Arrays.toString(record));
      assertEquals(List.of(), decoded.events());
      assertEquals(expected.format(), decoded.format());
      assertEquals(expected.rejections().size(), decoded.rejections().size());
      for (int r = 0; r < expected.rejections().size(); r++) {
        Rejection want = expected.rejections().get(r);
        Rejection got = decoded.rejections().get(r);
        assertEquals(want.reason(), got.reason());
        assertEquals(want.message(), got.message());
        assertArrayEquals(want.payload(), got.payload());
      }
      if (decoded.format() == InputFormat.AVRO) {
        avroEvents += handed.size();
      } else {
        otherEvents += handed.size();
      }
    }
    // the mutations leave some records whole: both paths were really compared on events
    assertTrue(avroEvents > 100 && otherEvents > 1000, avroEvents + " Avro, " + otherEvents + " other events");
  }

  private static final String SPECIAL = "\\\"{},= \r\n#-0";

  private static byte[] mutate(byte[] seed, Random random) {
    byte[] record;
    switch (random.nextInt(4)) {
      case 0 -> record = Arrays.copyOf(seed, random.nextInt(seed.length + 1)); // truncate
      case 1 -> { // extend with noise
        record = Arrays.copyOf(seed, seed.length + 1 + random.nextInt(16));
        for (int j = seed.length; j < record.length; j++) {
          record[j] = (byte) random.nextInt(256);
        }
      }
      default -> record = seed.clone();
    }
    int flips = 1 + random.nextInt(4);
    for (int j = 0; j < flips && record.length > 0; j++) {
      int at = random.nextInt(record.length);
      record[at] = random.nextBoolean() ? (byte) random.nextInt(256) : (byte) SPECIAL.charAt(random.nextInt(SPECIAL.length()));
    }
    return record;
  }
}
