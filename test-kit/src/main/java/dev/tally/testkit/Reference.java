package dev.tally.testkit;

import dev.tally.schema.SeriesWindow;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The expected answer, computed from the events sent (or, in the reliability harness, the events
 * Kafka acknowledged), by the plainest code there is: a map from (series, window) to an event count
 * and a set of user names. It shares no code with Tally, so a bug in Tally's window math cannot hide
 * in both. Thread-safe.
 */
public final class Reference {

  /** What one (series, window) must show: events and distinct users. */
  public record Expected(long count, long uniqueUsers) {
    @Override
    public String toString() {
      return count + "/" + uniqueUsers;
    }
  }

  private final long windowMs;
  private final Map<SeriesWindow, long[]> counts = new HashMap<>();
  private final Map<SeriesWindow, Set<String>> users = new HashMap<>();

  public Reference(long windowMs) {
    this.windowMs = windowMs;
  }

  /** The start (epoch ms) of the tumbling window holding {@code timestampNs}. */
  public long windowOf(long timestampNs) {
    long ms = Math.floorDiv(timestampNs, 1_000_000L);
    return Math.floorDiv(ms, windowMs) * windowMs;
  }

  /** Counts one event. */
  public synchronized void add(String product, String eventType, String username, long timestampNs) {
    SeriesWindow key = new SeriesWindow(product, eventType, windowOf(timestampNs));
    counts.computeIfAbsent(key, k -> new long[1])[0]++;
    users.computeIfAbsent(key, k -> new HashSet<>()).add(username);
  }

  /** Every (series, window) with its expected figures, in time order. */
  public synchronized Map<SeriesWindow, Expected> expected() {
    Map<SeriesWindow, Expected> all = new TreeMap<>();
    counts.forEach((key, count) -> all.put(key, new Expected(count[0], users.get(key).size())));
    return all;
  }

  /** The distinct users of one (series, window), empty if it has no events. */
  public synchronized Set<String> users(SeriesWindow window) {
    return Set.copyOf(users.getOrDefault(window, Set.of()));
  }

  /** The end (epoch ms, exclusive) of the last window with an event. */
  public synchronized long lastWindowEndMs() {
    return counts.keySet().stream().mapToLong(SeriesWindow::windowStartMs).max().orElseThrow()
        + windowMs;
  }

  /** Events counted so far. */
  public synchronized long events() {
    return counts.values().stream().mapToLong(count -> count[0]).sum();
  }
}
