package dev.tally.topology.wire;

/**
 * The count of one series in one window, as far as one aggregating partition has seen it. Every user's
 * events live in exactly one aggregating partition, so distinct-user counts of different partitions add
 * up. A later partial of the same (partition, series, window) replaces the earlier one.
 */
public record Partial(int source, String product, String eventType, long windowStart, long count,
    long uniqueUsers) implements BySeries {
}
