package dev.tally.cli;

import dev.tally.decode.UserEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** The demo's traffic: the worked example, then a seeded synthetic stream over several minutes. */
final class SampleTraffic {

  /** The worked example, as the products sent it: InfluxDB line protocol. */
  static final List<String> WORKED_EXAMPLE = List.of(
      "event_type=rails-5xx,product=live value=testusername1 1478507534415525888",
      "event_type=stuck_in_queue,product=live value=testusername2 1478507534415525888",
      "event_type=browser_error,product=automate value=testusername3 1478507534415525888",
      "event_type=browser_error,product=automate value=testusername4 1478507534415525888",
      "event_type=rails-5xx,product=live value=testusername1 1478507534415525890");

  /** The start of the worked example's minute, 2016-11-07T08:32:00Z. */
  static final long WORKED_EXAMPLE_MINUTE_MS = 1478507520000L;

  private static final String[] PRODUCTS = {"live", "automate", "app-live"};
  private static final String[] EVENT_TYPES = {"rails-5xx", "stuck_in_queue", "browser_error",
      "page_load"};

  private SampleTraffic() {
  }

  /**
   * {@code perMinute} events a minute for {@code minutes} minutes from {@code startMs}, from 40 users,
   * in time order but for a little jitter.
   */
  static List<UserEvent> synthetic(long startMs, int minutes, int perMinute, long seed) {
    Random random = new Random(seed);
    List<UserEvent> events = new ArrayList<>(minutes * perMinute);
    long step = 60_000L / perMinute;
    for (int i = 0; i < minutes * perMinute; i++) {
      long ms = startMs + i * step + random.nextInt((int) Math.max(1, step));
      String product = PRODUCTS[random.nextInt(PRODUCTS.length)];
      String eventType = EVENT_TYPES[random.nextInt(EVENT_TYPES.length)];
      String user = "user-" + random.nextInt(40);
      events.add(new UserEvent(product, eventType, user, ms * 1_000_000L + random.nextInt(1_000_000)));
    }
    return events;
  }

  /** Events and distinct users of one window of one series. */
  record Counts(long count, long uniqueUsers) {
    @Override
    public String toString() {
      return count + " events from " + uniqueUsers + " users";
    }
  }

  /**
   * What these events make of each window they fall in, by "product|event_type|window start": the
   * final results Tally must give for them.
   */
  static Map<String, Counts> expected(List<UserEvent> events, long windowMs) {
    Map<String, Long> counts = new LinkedHashMap<>();
    Map<String, Set<String>> users = new HashMap<>();
    for (UserEvent event : events) {
      String key = key(event.product(), event.eventType(),
          Math.floorDiv(event.timestampMs(), windowMs) * windowMs);
      counts.merge(key, 1L, Long::sum);
      users.computeIfAbsent(key, any -> new HashSet<>()).add(event.username());
    }
    Map<String, Counts> expected = new LinkedHashMap<>();
    counts.forEach((key, count) -> expected.put(key, new Counts(count, users.get(key).size())));
    return expected;
  }

  static String key(String product, String eventType, long windowStartMs) {
    return product + "|" + eventType + "|" + windowStartMs;
  }
}
