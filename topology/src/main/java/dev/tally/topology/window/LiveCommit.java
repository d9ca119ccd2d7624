package dev.tally.topology.window;

import org.apache.kafka.streams.processor.api.ProcessingContext;

/**
 * When a stage asks Kafka Streams to commit at once rather than at the end of
 * {@code commit.interval.ms}.
 *
 * <p>What a stage forwards reaches the next stage (and the results' read_committed readers) only with
 * the transaction that holds it, so a final result waits for up to three commit intervals: after the
 * watermark that closes its window, after the final partials, after the final itself. Commits are
 * also a large part of a backlog's cost, each one waiting for the producer's acknowledgements and
 * for the transaction coordinator. So a stage that has just forwarded what closes a window commits
 * at once while the stream is live (the watermark within {@link #LIVE_LAG_MS} of the wall clock),
 * which happens once per window and task, while catching up on a backlog (windows closing many times
 * a second) leaves it to the interval.
 */
final class LiveCommit {

  /** How far behind the wall clock a watermark may be for the stream to count as live. */
  static final long LIVE_LAG_MS = 10_000;

  private LiveCommit() {
  }

  /** Requests a commit if {@code watermarkMs}, which has just closed a window, is live. */
  static void afterClosing(ProcessingContext context, long watermarkMs) {
    if (watermarkMs >= context.currentSystemTimeMs() - LIVE_LAG_MS) {
      context.commit();
    }
  }
}
