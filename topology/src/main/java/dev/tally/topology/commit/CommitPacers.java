package dev.tally.topology.commit;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.LongSupplier;

/**
 * The {@link CommitPacer}s of one Kafka Streams instance, one per stream thread, since a thread
 * commits all its tasks together. Made by whoever builds the topology, with the wall clock the
 * pacers read, and handed to the processors, which take their thread's pacer in {@code init} (Kafka
 * Streams initialises a task's processors on the thread that runs it).
 */
public final class CommitPacers {

  private final LongSupplier clock;
  private final Map<Thread, CommitPacer> byThread = new WeakHashMap<>();

  /** @param clock the wall clock, in milliseconds */
  public CommitPacers(LongSupplier clock) {
    this.clock = clock;
  }

  /** Pacers on the system clock. */
  public static CommitPacers systemClock() {
    return new CommitPacers(System::currentTimeMillis);
  }

  /** The pacer of the calling thread's tasks. */
  public synchronized CommitPacer forCurrentThread() {
    return byThread.computeIfAbsent(Thread.currentThread(), thread -> new CommitPacer(clock));
  }
}
