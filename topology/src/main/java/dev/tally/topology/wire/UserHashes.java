package dev.tally.topology.wire;

/**
 * The distinct users of one series in one closed window, as far as one aggregating partition counted
 * them, as 64-bit hashes: the users topic's records ({@code dev.tally.schema.MinuteUsers}), and what
 * the merging stage builds its hour and day counts from.
 *
 * @param source the aggregating partition
 * @param hashes one per distinct user, in the order first seen
 */
public record UserHashes(int source, String product, String eventType, long windowStart,
    long[] hashes) implements BySeries {
}
