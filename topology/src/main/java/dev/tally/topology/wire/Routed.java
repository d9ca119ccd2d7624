package dev.tally.topology.wire;

/**
 * Everything a Tally processor forwards: something for the next stage (a closed window's users among
 * them, for the users topic and the merging stage's ranges), or a dead letter.
 */
public sealed interface Routed permits ByUser, BySeries, DeadLetter {
}
