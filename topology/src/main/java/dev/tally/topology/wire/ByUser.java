package dev.tally.topology.wire;

/**
 * What crosses the by-user shuffle: batches of events, each batch bound for the partition of its
 * users so that every user's events meet in one partition, and the watermarks of the input
 * partitions, broadcast to all.
 */
public sealed interface ByUser extends Routed permits EventBatch, Watermark {
}
