package dev.tally.topology.commit;

import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * Paces the commits that the stages ask for at once ({@link LiveCommit}), per stream thread: one is
 * granted only while commits took less than half of the thread's last {@value #WINDOW_MS} ms.
 *
 * <p>Kafka Streams commits every task of a thread together, and a commit that a task asks for
 * ({@code ProcessingContext#commit}) happens at the end of the thread's next processing step. It also
 * halves the records a task processes per step after each commit, and polls for new records only
 * once a step processes none (or after half of {@code max.poll.interval.ms}). So when commits are slow
 * (a loaded machine, transactions waiting for the previous one's markers) and a stage asks for one on
 * every step, the thread takes one record per task between back-to-back commits and fetches nothing
 * new, for seconds (a fail-over's survivor did so in the fault runs). Fast commits are granted at once,
 * so that a final result still goes through the three stages' commits one right after the other. A
 * commit that is not granted is not lost: the stage asks again at its next window, and
 * {@code commit.interval.ms} commits everything anyway.
 *
 * <p>It learns when a commit starts from the stages' commit hooks (run in every commit of a task that
 * has something to commit, before the transaction is flushed), and when it ends from the next record
 * or punctuation a processor of the thread handles ({@link #working}). Wall-clock time, not the
 * stream time Kafka Streams caches per step, which stands still during a commit. The processors of a
 * thread share one pacer, from {@link CommitPacers}.
 */
public final class CommitPacer {

  /** How far back the time spent in commits is counted. */
  static final long WINDOW_MS = 1_000;

  private final LongSupplier clock;
  private boolean committing;
  private long commitStartedMs;
  /** The commits of the last {@link #WINDOW_MS}: start and end, oldest first. */
  private final ArrayDeque<long[]> recent = new ArrayDeque<>();

  /** @param clock the wall clock, in milliseconds */
  CommitPacer(LongSupplier clock) {
    this.clock = clock;
  }

  /** A store of a task of this thread is being flushed: a commit is under way. */
  public void flushing() {
    if (!committing) {
      committing = true;
      commitStartedMs = clock.getAsLong();
    }
  }

  /** A processor of this thread handles a record or a punctuation: any commit has ended. */
  public void working() {
    if (committing) {
      committing = false;
      long now = clock.getAsLong();
      recent.addLast(new long[] {commitStartedMs, now});
      forgetBefore(now - WINDOW_MS);
    }
  }

  /** Whether a stage may ask for a commit now: commits took less than half of the last window. */
  boolean mayCommit() {
    working();
    long from = clock.getAsLong() - WINDOW_MS;
    forgetBefore(from);
    long busy = 0;
    for (long[] commit : recent) {
      busy += commit[1] - Math.max(commit[0], from);
    }
    return 2 * busy < WINDOW_MS;
  }

  private void forgetBefore(long fromMs) {
    while (!recent.isEmpty() && recent.peekFirst()[1] <= fromMs) {
      recent.removeFirst();
    }
  }
}
