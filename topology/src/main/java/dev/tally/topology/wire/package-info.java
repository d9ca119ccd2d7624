/**
 * The bytes between the stages: the records of the two shuffles and their serdes, the input packs,
 * the watermark broadcast partitioner, and the state stores' key layouts. Private to one Tally
 * application; every byte here is written and read once per event.
 */
package dev.tally.topology.wire;
