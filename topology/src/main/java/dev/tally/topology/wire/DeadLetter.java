package dev.tally.topology.wire;

import dev.tally.decode.BadInputReason;

/**
 * A record Tally could not count, on its way to the dead-letter topic.
 *
 * @param reason why
 * @param message the details, naming the field or the window
 * @param payload the bytes to keep: the raw record, the one bad line, or the re-encoded late event
 * @param sourceTopic where the record came from
 * @param sourcePartition where the record came from
 * @param sourceOffset where the record came from
 */
public record DeadLetter(BadInputReason reason, String message, byte[] payload, String sourceTopic,
    int sourcePartition, long sourceOffset) implements Routed {
}
