/**
 * Stage 3, one task per by-series partition: adds up the aggregating partitions' partials into one
 * final result per (window, series), and counts each series' distinct users per UTC hour and day
 * ({@link dev.tally.topology.merge.Ranges}).
 */
package dev.tally.topology.merge;
