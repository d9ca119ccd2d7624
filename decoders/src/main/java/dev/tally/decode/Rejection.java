package dev.tally.decode;

import java.util.Objects;

/**
 * A piece of input that could not be turned into an event.
 *
 * @param reason the class of problem
 * @param message a human-readable explanation naming the field or position
 * @param payload the offending bytes (the whole record, or the one bad line of a multi-line record)
 */
public record Rejection(BadInputReason reason, String message, byte[] payload) {

  public Rejection {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(payload, "payload");
  }
}
