package dev.tally.reliability;

import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * The kinds of bad input products really send, each with the dead-letter reason Tally must give it.
 * Every poison record must end in the dead-letter topic, and none may cost a good record around it.
 */
public enum Poison {
  /** Random bytes that look like no format. */
  GARBAGE("unparseable"),
  /** An Avro single-object record cut short. */
  TRUNCATED_AVRO("unparseable"),
  /** JSON that ends mid-object. */
  BAD_JSON("unparseable"),
  /** Line protocol without its field. */
  BAD_LINE_PROTOCOL("unparseable"),
  /** JSON without an event type. */
  MISSING_FIELD("missing-field"),
  /** A timestamp in milliseconds where nanoseconds belong. */
  MILLISECOND_TIMESTAMP("timestamp-not-nanos");

  private final String reason;

  Poison(String reason) {
    this.reason = reason;
  }

  /** The {@code tally.error.reason} header the dead letter must carry. */
  public String reason() {
    return reason;
  }

  /** The bad bytes of this kind, varied by {@code random}, around a plausible event. */
  public byte[] bytes(Random random, long nowMs) {
    String user = "poison-" + random.nextInt(1000);
    return switch (this) {
      case GARBAGE -> {
        byte[] bytes = new byte[4 + random.nextInt(40)];
        random.nextBytes(bytes);
        bytes[0] = 0x00; // never a valid start of JSON, line protocol or the Avro header
        for (int i = 0; i < bytes.length; i++) {
          // one record, one dead letter: Tally rejects each line of a multi-line record on its own
          if (bytes[i] == '\n' || bytes[i] == '\r') {
            bytes[i] = 0x0B;
          }
        }
        yield bytes;
      }
      case TRUNCATED_AVRO -> {
        byte[] whole = EventDecoder.encodeAvro(
            new UserEvent("live", "rails-5xx", user, nowMs * 1_000_000L));
        yield Arrays.copyOf(whole, 10 + random.nextInt(whole.length - 12));
      }
      case BAD_JSON -> utf8("{\"product\": \"live\", \"event_type\": \"rails-5xx\", \"username\": ");
      case BAD_LINE_PROTOCOL -> utf8("event_type=rails-5xx,product=live");
      case MISSING_FIELD -> utf8("{\"product\": \"live\", \"username\": \"" + user + "\", \"timestamp\": "
          + nowMs * 1_000_000L + "}");
      case MILLISECOND_TIMESTAMP -> utf8("event_type=rails-5xx,product=live value=" + user + " " + nowMs);
    };
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
