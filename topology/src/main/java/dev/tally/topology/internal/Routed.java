package dev.tally.topology.internal;

/** Everything a Tally processor forwards: something for the next stage, or a dead letter. */
public sealed interface Routed permits ByUser, BySeries, DeadLetter {
}
