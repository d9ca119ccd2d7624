/**
 * Event time: window arithmetic ({@link dev.tally.topology.time.Windows}), the low watermark that
 * decides when a window is complete ({@link dev.tally.topology.time.LowWatermark}, the rule of
 * docs/time.md), what the input stage knows of its topic ({@link
 * dev.tally.topology.time.InputState}), generations, and what the admin server shows of the clocks.
 */
package dev.tally.topology.time;
