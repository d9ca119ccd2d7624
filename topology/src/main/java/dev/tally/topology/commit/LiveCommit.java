package dev.tally.topology.commit;

import dev.tally.topology.wire.Watermark;
import org.apache.kafka.streams.processor.api.ProcessingContext;

/**
 * When a stage asks Kafka Streams to commit at once rather than at the end of
 * {@code commit.interval.ms}.
 *
 * <p>What a stage forwards reaches the next stage (and the results' read_committed readers) only with
 * the transaction that holds it, so a final result waits for up to three commit intervals: after the
 * watermark that closes its window, after the final partials, after the final itself. Commits are
 * also a large part of a backlog's cost, each one waiting for the producer's acknowledgements and
 * for the transaction coordinator. So a stage that has forwarded what closes a window commits at once
 * when waiting would gain nothing:
 * <ul>
 *   <li>while the stream is live (the watermark within {@link #LIVE_LAG_MS} of the wall clock),
 *       which happens once per window and task;
 *   <li>once every upstream partition has said it caught up with its input ({@link
 *       Watermark#caughtUp()}): the end of a backlog, whose event times are old, but after which
 *       there is nothing left to put in the same transaction. Its last windows then come out a few
 *       commits after its last record, not three commit intervals.
 * </ul>
 * While catching up on a backlog (windows closing many times a second) it is left to the interval.
 * Either way, a commit is asked for only as often as {@link CommitPacer} grants: never so often
 * that commits take more than half of a stream thread's time.
 * The aggregating and merging stages' live updates of open windows follow the same rule, so that a
 * live stream's open minute is as fresh whatever the interval: the interval only sets how much of a
 * backlog one transaction holds.
 */
public final class LiveCommit {

  /** How far behind the wall clock a watermark may be for the stream to count as live. */
  public static final long LIVE_LAG_MS = 10_000;

  private final ProcessingContext context;
  private final CommitPacer pacer;
  /** Something that closes a window went out and waits for a commit. */
  private boolean owed;

  /** One stage task's commits, asked of {@code context} as its thread's {@code pacer} grants. */
  public LiveCommit(ProcessingContext context, CommitPacer pacer) {
    this.context = context;
    this.pacer = pacer;
  }

  /** Notes that what was just forwarded closes a window ({@code closes}), so a commit is owed. */
  public void owe(boolean closes) {
    owed |= closes;
  }

  /**
   * Asks for a commit now when one is owed and {@link #due} says so; the stage's watermark is
   * {@code watermarkMs}, and {@code caughtUp} whether its input had caught up.
   */
  public void commitIfOwed(long watermarkMs, boolean caughtUp) {
    if (owed) {
      commitIfDue(watermarkMs, caughtUp);
    }
  }

  /** Asks for a commit now when {@link #due} says so: live updates just went out. */
  public void commitIfDue(long watermarkMs, boolean caughtUp) {
    if (due(context, pacer, watermarkMs, caughtUp)) {
      owed = false; // the commit takes everything forwarded so far
      context.commit();
    }
  }

  /**
   * Whether a stage that has forwarded what closes a window should commit now: its watermark
   * {@code watermarkMs} is live, or its input had {@code caughtUp}, and its thread's {@code pacer}
   * grants it.
   */
  public static boolean due(ProcessingContext context, CommitPacer pacer, long watermarkMs,
      boolean caughtUp) {
    return (caughtUp || watermarkMs >= context.currentSystemTimeMs() - LIVE_LAG_MS)
        && pacer.mayCommit();
  }
}
