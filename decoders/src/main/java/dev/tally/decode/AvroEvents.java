package dev.tally.decode;

import dev.tally.schema.Event;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BinaryMessageDecoder;

/**
 * Avro single-object encoding of {@link Event}: the marker 0xC3 0x01, the writer schema's 8-byte
 * little-endian CRC-64 fingerprint, then the binary datum. Only the current Event schema is
 * accepted; a record written with any other schema is unparseable rather than guessed at.
 */
final class AvroEvents {

  private static final int HEADER_LENGTH = 10;
  private static final BinaryMessageDecoder<Event> DECODER = Event.getDecoder();
  private static final long FINGERPRINT = SchemaNormalization.parsingFingerprint64(Event.getClassSchema());
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private static final int EVENT_TYPE = Event.getClassSchema().getField(RecordResult.EVENT_TYPE).pos();
  private static final int PRODUCT = Event.getClassSchema().getField(RecordResult.PRODUCT).pos();
  private static final int USERNAME = Event.getClassSchema().getField(RecordResult.USERNAME).pos();
  private static final int TIMESTAMP = Event.getClassSchema().getField("timestamp").pos();

  private final AvroBodyCheck bodyCheck = new AvroBodyCheck(Event.getClassSchema());
  private Event reuse;

  static boolean isAvro(byte[] value) {
    return value.length >= 2 && value[0] == (byte) 0xC3 && value[1] == (byte) 0x01;
  }

  /**
   * Decodes a record {@link #isAvro} recognised: always exactly one event or one rejection. An event
   * for a sink is read where the body check found its fields, without Avro's decoder or Strings.
   */
  void decode(byte[] value, RecordResult result) {
    result.startPiece();
    if (value.length < HEADER_LENGTH) {
      reject(result, value, "truncated Avro header: " + value.length + " of " + HEADER_LENGTH + " bytes");
      return;
    }
    long fingerprint = littleEndianLong(value, 2);
    if (fingerprint != FINGERPRINT) {
      reject(result, value, String.format("Avro record of an unknown schema (fingerprint %016x); only %s (%016x) is accepted",
          fingerprint, Event.getClassSchema().getFullName(), FINGERPRINT));
      return;
    }
    String problem = bodyCheck.check(value, HEADER_LENGTH, value.length);
    if (problem != null) {
      reject(result, value, "corrupt Avro Event: " + problem);
      return;
    }
    if (result.forSink()) {
      result.add(bodyCheck.stringAt(EVENT_TYPE),
          bodyCheck.stringLength(EVENT_TYPE), bodyCheck.stringAt(PRODUCT),
          bodyCheck.stringLength(PRODUCT), bodyCheck.stringAt(USERNAME),
          bodyCheck.stringLength(USERNAME), bodyCheck.longValue(TIMESTAMP), 0, value.length);
      return;
    }
    Event event;
    try {
      event = DECODER.decode(value, reuse);
    } catch (IOException | RuntimeException e) {
      // The body check should have caught it; stay a rejection rather than kill the stream thread.
      reject(result, value, "corrupt Avro Event: " + e);
      return;
    }
    reuse = event;
    Instant timestamp = event.getTimestamp();
    // Wrapping arithmetic is exact here: the Instant came from a long of nanoseconds.
    long timestampNs = timestamp.getEpochSecond() * NANOS_PER_SECOND + timestamp.getNano();
    result.add(event.getEventType(), event.getProduct(), event.getUsername(), true, timestampNs, 0, value.length);
  }

  static byte[] encode(UserEvent event) {
    Instant timestamp = Instant.ofEpochSecond(
        Math.floorDiv(event.timestampNs(), NANOS_PER_SECOND), Math.floorMod(event.timestampNs(), NANOS_PER_SECOND));
    Event avro = new Event(event.eventType(), event.product(), event.username(), timestamp);
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    try {
      Event.getEncoder().encode(avro, out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot happen writing to memory", e);
    }
    return out.toByteArray();
  }

  private static void reject(RecordResult result, byte[] value, String message) {
    result.reject(BadInputReason.UNPARSEABLE, message, 0, value.length);
  }

  private static long littleEndianLong(byte[] bytes, int from) {
    long value = 0;
    for (int i = 7; i >= 0; i--) {
      value = (value << 8) | (bytes[from + i] & 0xFFL);
    }
    return value;
  }
}
