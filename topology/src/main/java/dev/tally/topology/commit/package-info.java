/**
 * When the stages commit: at once after what closes a window when the stream is live or caught up
 * ({@link dev.tally.topology.commit.LiveCommit}), never so often that commits take more than half of
 * a stream thread's time ({@link dev.tally.topology.commit.CommitPacer}). What runs inside a commit
 * is {@link dev.tally.topology.compat.CommitHook}'s.
 */
package dev.tally.topology.commit;
