package dev.tally.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Builders for test records, written independently of the decoders they feed. */
final class TestRecords {

  /** A record timestamp (2016-11-07T08:32:14.415Z) distinct from every timestamp in the records. */
  static final long RECORD_MS = 1_478_507_534_415L;
  static final long RECORD_NS = RECORD_MS * 1_000_000L;

  private TestRecords() {}

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Decoded decode(String record) {
    return new EventDecoder().decode(utf8(record), RECORD_MS);
  }

  static Decoded decode(byte[] record) {
    return new EventDecoder().decode(record, RECORD_MS);
  }

  /** Escapes a measurement, tag key, tag value or field key the way line-protocol writers do. */
  static String lpEscape(String s) {
    return s.replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ");
  }

  /** A double-quoted line-protocol string field value. */
  static String lpQuote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  static String lpLine(String product, String eventType, String username, long timestampNs) {
    return "event_type=" + lpEscape(eventType) + ",product=" + lpEscape(product) + " value=" + lpQuote(username)
        + " " + timestampNs;
  }

  /** One JSON object; a null argument leaves that field out. */
  static byte[] json(String product, String eventType, String username, Long timestampNs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.writeStartObject();
      if (eventType != null) {
        g.writeStringField("event_type", eventType);
      }
      if (product != null) {
        g.writeStringField("product", product);
      }
      if (username != null) {
        g.writeStringField("username", username);
      }
      if (timestampNs != null) {
        g.writeNumberField("timestamp", timestampNs);
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static void assertEvents(Decoded decoded, UserEvent... expected) {
    assertEquals(List.of(), decoded.rejections().stream().map(Rejection::message).toList(), "rejections");
    assertEquals(List.of(expected), decoded.events());
  }

  /** Asserts the record decoded to no events and exactly one rejection; returns it. */
  static Rejection assertOnlyRejection(Decoded decoded, BadInputReason reason, String messagePart) {
    assertEquals(List.of(), decoded.events(), "events");
    assertEquals(1, decoded.rejections().size(), () -> "rejections: " + decoded.rejections());
    return assertRejection(decoded.rejections().get(0), reason, messagePart);
  }

  static Rejection assertRejection(Rejection rejection, BadInputReason reason, String messagePart) {
    assertEquals(reason, rejection.reason(), rejection.message());
    assertTrue(rejection.message().contains(messagePart),
        () -> "message '" + rejection.message() + "' should contain '" + messagePart + "'");
    return rejection;
  }

  static void assertPayload(String expected, Rejection rejection) {
    assertArrayEquals(utf8(expected), rejection.payload(),
        () -> "payload was '" + new String(rejection.payload(), StandardCharsets.UTF_8) + "'");
  }
}
