package dev.tally.topology.internal;

/**
 * What crosses the by-user shuffle: events, keyed by username so that every user's events meet in one
 * partition, and the watermarks of the input partitions, broadcast to all.
 */
public sealed interface ByUser extends Routed permits SourcedEvent, Watermark {
}
