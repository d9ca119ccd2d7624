package dev.tally.localstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting a server on a port: another free port after a lost race for one, never for a given port. */
class ChildProcessTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  @Test
  void aServerThatLostItsFreePortToAnotherProcessIsStartedAgainOnAnotherOne() {
    List<Integer> ports = new ArrayList<>();
    String started = ChildProcess.startOnPort(0, TIMEOUT, port -> {
      ports.add(port);
      return ports.size() == 1 ? cannotBind(port) : runs(port);
    });
    assertEquals("server on " + ports.get(1), started);
    assertEquals(2, ports.size(), "attempts: " + ports);
  }

  @Test
  void aGivenPortThatIsTakenFailsAtOnceWithTheServersLog() {
    List<Integer> ports = new ArrayList<>();
    IllegalStateException failure = assertThrows(IllegalStateException.class,
        () -> ChildProcess.startOnPort(Ports.free(1).get(0), TIMEOUT, port -> {
          ports.add(port);
          return cannotBind(port);
        }));
    assertEquals(1, ports.size(), "attempts: " + ports);
    assertTrue(failure.getMessage().contains("Address already in use"), failure.getMessage());
  }

  @Test
  void aServerThatKeepsLosingItsPortGivesUpAfterThreeAttempts() {
    List<Integer> ports = new ArrayList<>();
    assertThrows(IllegalStateException.class, () -> ChildProcess.startOnPort(0, TIMEOUT, port -> {
      ports.add(port);
      return cannotBind(port);
    }));
    assertEquals(3, ports.size(), "attempts: " + ports);
  }

  /** A server that says what a server says when its port is taken, and exits. */
  private ChildProcess.Launch<String> cannotBind(int port) {
    ChildProcess child = ChildProcess.start("taken-" + port,
        List.of("sh", "-c", "echo 'bind: Address already in use'; exit 1"), dir.resolve(port + ".log"));
    return new ChildProcess.Launch<>(child, () -> false, () -> "server on " + port);
  }

  /** A server that starts and runs until it is stopped. */
  private ChildProcess.Launch<String> runs(int port) {
    ChildProcess child = ChildProcess.start("runs-" + port, List.of("sleep", "30"),
        dir.resolve(port + ".log"));
    return new ChildProcess.Launch<>(child, () -> true, () -> {
      child.close();
      return "server on " + port;
    });
  }
}
