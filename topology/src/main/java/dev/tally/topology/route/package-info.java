/**
 * Stage 1, one task per partition of the events topic: decodes each record's events (bad input to
 * the dead-letter topic), batches them by their user's aggregating partition for the by-user
 * shuffle, and announces its partition's clock ({@link dev.tally.topology.route.SourceClock}) to
 * every aggregating partition. Keeps no state, so that the events topic may grow.
 */
package dev.tally.topology.route;
