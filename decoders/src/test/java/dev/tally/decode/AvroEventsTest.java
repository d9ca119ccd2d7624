package dev.tally.decode;

import static dev.tally.decode.TestRecords.assertEvents;
import static dev.tally.decode.TestRecords.assertOnlyRejection;
import static dev.tally.decode.TestRecords.decode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.schema.Event;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AvroEventsTest {

  private static final long TS = 1_478_507_534_415_525_888L;
  private static final UserEvent EVENT = new UserEvent("live", "rails-5xx", "testusername1", TS);

  @Test
  void encodeThenDecodeIsTheSameEvent() {
    byte[] bytes = EventDecoder.encodeAvro(EVENT);

    Decoded decoded = decode(bytes);

    assertEquals(InputFormat.AVRO, decoded.format());
    assertEvents(decoded, EVENT);
  }

  @Test
  void encodingIsStandardSingleObjectEncodingOfEvent() throws Exception {
    byte[] bytes = EventDecoder.encodeAvro(EVENT);

    assertEquals((byte) 0xC3, bytes[0]);
    assertEquals((byte) 0x01, bytes[1]);
    Event event = Event.getDecoder().decode(bytes);
    assertEquals(new Event("rails-5xx", "live", "testusername1", Instant.ofEpochSecond(1_478_507_534L, 415_525_888L)), event);
  }

  @Test
  void decodesWhatAvrosOwnEncoderWrites() throws Exception {
    ByteBuffer buffer = Event.getEncoder().encode(new Event("e", "p", "u", Instant.ofEpochSecond(1_700_000_000L, 1L)));
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);

    assertEvents(decode(bytes), new UserEvent("p", "e", "u", 1_700_000_000_000_000_001L));
  }

  @Test
  void manyEventsThroughOneDecoder() {
    EventDecoder decoder = new EventDecoder();
    for (int i = 0; i < 1000; i++) {
      UserEvent event = new UserEvent("p" + i % 7, "e" + i % 3, "user" + i, TS + i);
      assertEvents(decoder.decode(EventDecoder.encodeAvro(event), 0L), event);
    }
  }

  @Test
  void everyTruncationIsUnparseable() {
    byte[] bytes = EventDecoder.encodeAvro(EVENT);
    for (int length = 0; length < bytes.length; length++) {
      Decoded decoded = decode(Arrays.copyOf(bytes, length));
      assertEquals(BadInputReason.UNPARSEABLE, decoded.rejections().get(0).reason(), "length " + length);
      assertEquals(1, decoded.rejections().size(), "length " + length);
      assertTrue(decoded.events().isEmpty(), "length " + length);
    }
    assertOnlyRejection(decode(Arrays.copyOf(bytes, 6)), BadInputReason.UNPARSEABLE, "truncated Avro header");
    Rejection rejection = assertOnlyRejection(decode(Arrays.copyOf(bytes, bytes.length - 1)),
        BadInputReason.UNPARSEABLE, "truncated");
    assertEquals(bytes.length - 1, rejection.payload().length);
  }

  @Test
  void recordOfAnotherSchemaIsUnparseable() throws Exception {
    Schema other = SchemaBuilder.record("Event").namespace("dev.tally.schema").fields()
        .requiredString("event_type").requiredString("product").requiredString("username")
        .requiredLong("timestamp").requiredString("region").endRecord();
    GenericRecord record = new GenericData.Record(other);
    record.put("event_type", "e");
    record.put("product", "p");
    record.put("username", "u");
    record.put("timestamp", TS);
    record.put("region", "eu");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new BinaryMessageEncoder<GenericRecord>(GenericData.get(), other).encode(record, out);

    Rejection rejection = assertOnlyRejection(decode(out.toByteArray()), BadInputReason.UNPARSEABLE, "unknown schema");
    assertArrayEquals(out.toByteArray(), rejection.payload());
  }

  @Test
  void garbageAfterTheHeaderIsUnparseable() {
    byte[] bytes = EventDecoder.encodeAvro(EVENT);
    byte[] garbage = Arrays.copyOf(bytes, 10 + 40);
    for (int i = 10; i < garbage.length; i++) {
      garbage[i] = (byte) (0x9D + i);
    }
    assertOnlyRejection(decode(garbage), BadInputReason.UNPARSEABLE, "corrupt Avro Event");
  }

  @Test
  void hugeDeclaredLengthIsRefusedBeforeAnyAllocation() {
    byte[] header = Arrays.copyOf(EventDecoder.encodeAvro(EVENT), 10);
    // zig-zag varint 2_000_000_000: a 2 GB event_type in a 15-byte record
    byte[] length = {(byte) 0x80, (byte) 0xD0, (byte) 0xAC, (byte) 0xF3, 0x0E};
    byte[] record = Arrays.copyOf(header, 15);
    System.arraycopy(length, 0, record, 10, 5);

    assertOnlyRejection(decode(record), BadInputReason.UNPARSEABLE, "declares 2000000000 bytes");
  }

  @Test
  void twoEventsGluedTogetherAreUnparseable() {
    byte[] one = EventDecoder.encodeAvro(EVENT);
    byte[] two = Arrays.copyOf(one, one.length * 2);
    System.arraycopy(one, 0, two, one.length, one.length);

    assertOnlyRejection(decode(two), BadInputReason.UNPARSEABLE, one.length + " unexpected bytes");
  }

  @Test
  void invalidUtf8InAStringIsUnparseable() {
    byte[] bytes = EventDecoder.encodeAvro(new UserEvent("p", "e", "AB", TS));
    int at = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("AB");
    bytes[at] = (byte) 0xC3;
    bytes[at + 1] = (byte) 0x28;

    assertOnlyRejection(decode(bytes), BadInputReason.UNPARSEABLE, "'username' is not valid UTF-8");
  }

  @ParameterizedTest
  @ValueSource(strings = {"product", "event_type", "username"})
  void emptyRequiredField(String field) {
    UserEvent event = new UserEvent(field.equals("product") ? "" : "p", field.equals("event_type") ? "" : "e",
        field.equals("username") ? "" : "u", TS);

    assertOnlyRejection(decode(EventDecoder.encodeAvro(event)), BadInputReason.MISSING_FIELD, "field '" + field + "'");
  }

  @ParameterizedTest
  @ValueSource(longs = {1_478_507_534L, 1_478_507_534_415L, 1_478_507_534_415_525L, 99_999_999_999_999_999L, 0L})
  void timestampThatIsNotNanoseconds(long timestamp) {
    byte[] bytes = EventDecoder.encodeAvro(new UserEvent("p", "e", "u", timestamp));

    assertOnlyRejection(decode(bytes), BadInputReason.TIMESTAMP_NOT_NANOS, "timestamp " + timestamp + " ");
  }

  @Test
  void negativeTimestampIsNotNanoseconds() {
    // Not compared exactly: Avro 1.12.1 writes pre-1970 instants with a fraction of a second off by
    // up to one second (its TimestampNanosConversion subtracts 1e6 where it means 1e9).
    byte[] bytes = EventDecoder.encodeAvro(new UserEvent("p", "e", "u", -1_478_507_534_415_525_888L));

    assertOnlyRejection(decode(bytes), BadInputReason.TIMESTAMP_NOT_NANOS, "(negative)");
  }

  @Test
  void smallestNanosecondTimestampIsAccepted() {
    UserEvent event = new UserEvent("p", "e", "u", 100_000_000_000_000_000L);
    assertEvents(decode(EventDecoder.encodeAvro(event)), event);
  }

  @Test
  void avroTimestampIgnoresTheRecordTimestamp() {
    assertEvents(new EventDecoder().decode(EventDecoder.encodeAvro(EVENT), -1L), EVENT);
  }
}
