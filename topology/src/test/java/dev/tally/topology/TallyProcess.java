package dev.tally.topology;

import java.util.HashMap;
import java.util.Map;

/**
 * One Tally instance in a JVM of its own, for tests that kill it (SIGKILL: no commit, no close).
 * Arguments: {@code key=value} settings. Runs until killed.
 */
public final class TallyProcess {

  private TallyProcess() {
  }

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> values = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      values.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    TallyApp.start(new TallyConfig(values));
    Thread.currentThread().join();
  }
}
