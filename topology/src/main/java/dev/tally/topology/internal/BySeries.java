package dev.tally.topology.internal;

/**
 * What crosses the by-series shuffle: per-partition partial counts, keyed by series so that every
 * partial of a series meets in one partition, and the watermarks of the aggregating partitions.
 */
public sealed interface BySeries extends Routed permits Partial, Watermark {
}
