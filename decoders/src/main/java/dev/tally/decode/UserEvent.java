package dev.tally.decode;

import java.util.Objects;

/**
 * One decoded input event, whatever format it arrived in.
 *
 * @param product the product it happened in
 * @param eventType what happened
 * @param username who it happened to
 * @param timestampNs when it happened, nanoseconds since the epoch
 */
public record UserEvent(String product, String eventType, String username, long timestampNs) {

  public UserEvent {
    Objects.requireNonNull(product, "product");
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(username, "username");
  }

  /** Event time in milliseconds, the resolution windows are cut at. */
  public long timestampMs() {
    return Math.floorDiv(timestampNs, 1_000_000L);
  }
}
