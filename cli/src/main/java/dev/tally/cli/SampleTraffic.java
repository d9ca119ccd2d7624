package dev.tally.cli;

import dev.tally.decode.UserEvent;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
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

  /** "product|event_type|window start" of every window these events fall in. */
  static Set<String> windows(List<UserEvent> events, long windowMs) {
    Set<String> windows = new LinkedHashSet<>();
    for (UserEvent event : events) {
      windows.add(key(event.product(), event.eventType(),
          Math.floorDiv(event.timestampMs(), windowMs) * windowMs));
    }
    return windows;
  }

  static String key(String product, String eventType, long windowStartMs) {
    return product + "|" + eventType + "|" + windowStartMs;
  }
}
