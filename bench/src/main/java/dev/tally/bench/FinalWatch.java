package dev.tally.bench;

import dev.tally.schema.SeriesWindow;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Polls one sink at a fixed interval for the final results that are due, and keeps the first
 * sighting of each: when the poll that first saw it returned, and the figures it saw. A sighting
 * is therefore late by up to one interval plus one request, never early.
 */
final class FinalWatch implements AutoCloseable {

  /** One series in one window. */
  /** A final's figures: cumulative_user_event and unique_user_event. */
  record Counts(long count, long uniqueUsers) {
  }

  /** When a final was first seen in the sink, and with which figures. */
  record Sighting(long atMs, Counts counts) {
  }

  /** Reads finals from a sink; called from the watch's own thread only. */
  interface Reader extends AutoCloseable {
    /** The finals among {@code due} that the sink holds now. */
    Map<SeriesWindow, Counts> finals(Collection<SeriesWindow> due) throws Exception;

    @Override
    void close();
  }

  private final String name;
  private final Reader reader;
  private final Duration interval;
  private final Supplier<Collection<SeriesWindow>> due;
  private final PrintStream log;
  private final Map<SeriesWindow, Sighting> sightings = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean stopped;
  private volatile long polls;
  private volatile long failures;

  /**
   * @param due the finals to look for now (those already seen are left out)
   */
  FinalWatch(String name, Reader reader, Duration interval, Supplier<Collection<SeriesWindow>> due,
      PrintStream log) {
    this.name = name;
    this.reader = reader;
    this.interval = interval;
    this.due = due;
    this.log = log;
    this.thread = new Thread(this::run, "bench-watch-" + name);
    thread.setDaemon(true);
  }

  FinalWatch start() {
    thread.start();
    return this;
  }

  String name() {
    return name;
  }

  /** First sightings so far, by series and window. */
  Map<SeriesWindow, Sighting> sightings() {
    return sightings;
  }

  long polls() {
    return polls;
  }

  long failures() {
    return failures;
  }

  private void run() {
    long intervalNanos = interval.toNanos();
    long next = System.nanoTime();
    while (!stopped) {
      List<SeriesWindow> wanted = new ArrayList<>();
      for (SeriesWindow key : due.get()) {
        if (!sightings.containsKey(key)) {
          wanted.add(key);
        }
      }
      if (!wanted.isEmpty()) {
        try {
          Map<SeriesWindow, Counts> found = reader.finals(wanted);
          long at = System.currentTimeMillis();
          found.forEach((key, counts) -> sightings.putIfAbsent(key, new Sighting(at, counts)));
          polls++;
        } catch (Exception e) {
          if (failures++ == 0) {
            log.println("# " + name + ": a poll failed (" + e + "); going on, failures are counted");
          }
        }
      }
      next += intervalNanos;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        try {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        } catch (InterruptedException e) {
          return;
        }
      } else {
        next = System.nanoTime(); // a slow poll: the next one starts now, no catching up
      }
    }
  }

  /** Stops polling and closes the reader. */
  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    reader.close();
  }
}
