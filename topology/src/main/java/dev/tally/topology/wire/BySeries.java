package dev.tally.topology.wire;

/**
 * What crosses the by-series shuffle: per-partition partial counts and, when ranges are on, the
 * closed windows' user hashes, keyed by series so that every partial of a series meets in one
 * partition, and the watermarks of the aggregating partitions.
 */
public sealed interface BySeries extends Routed permits Partial, UserHashes, Watermark {
}
