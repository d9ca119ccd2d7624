package dev.tally.topology.internal;

/**
 * Everything a Tally processor forwards: something for the next stage, a dead letter, or a closed
 * window's users for the users topic.
 */
public sealed interface Routed permits ByUser, BySeries, DeadLetter, UserHashes {
}
