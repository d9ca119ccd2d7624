/**
 * Stage 2, one task per by-user partition: counts events and distinct users per (window, series)
 * for the users that live in its partition ({@link dev.tally.topology.aggregate.Tallies}), closes
 * windows on the input partitions' low watermark, and sends each closed window's partials (and its
 * users' hashes) on through the by-series shuffle.
 */
package dev.tally.topology.aggregate;
