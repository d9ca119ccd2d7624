package dev.tally.topology.internal;

/**
 * A decoded event with the input coordinates it came from, so that a late event can still be traced to
 * its source record in the dead-letter topic.
 */
public record SourcedEvent(String product, String eventType, String username, long timestampNs,
    int sourcePartition, long sourceOffset) implements ByUser {

  public long timestampMs() {
    return Math.floorDiv(timestampNs, 1_000_000L);
  }
}
