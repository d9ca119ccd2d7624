package dev.tally.localstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The whole stack: free ports, {@code describe()}, and nothing left running after close. */
class LocalStackTest {

  private static final Logger LOG = LoggerFactory.getLogger(LocalStackTest.class);

  @Test
  void startsAllThreeOnFreePortsDescribesThemAndStopsEveryProcess() throws Exception {
    long start = System.nanoTime();
    LocalStack stack = LocalStack.start(LocalStack.Options.defaults());
    LOG.info("Local stack start: {} ms", (System.nanoTime() - start) / 1_000_000);
    long redisPid = stack.redis().pid();
    long influxPid = stack.influx().pid();
    int kafkaPort = stack.kafka().port();
    try (stack) {
      List<String> lines = stack.describe();
      lines.forEach(LOG::info);
      String text = String.join("\n", lines);
      assertTrue(text.contains(stack.kafka().bootstrapServers()), text);
      assertTrue(text.contains(stack.redis().uri()), text);
      assertTrue(text.contains(stack.influx().url()), text);
      assertTrue(RedisServer.ping(stack.redis().port()));
      assertTrue(stack.influx().query(null, "SHOW DATABASES").contains("results"));
      assertTrue(alive(redisPid) && alive(influxPid));
    }
    assertFalse(alive(redisPid), "redis-server still runs");
    assertFalse(alive(influxPid), "influxd still runs");
    assertThrows(IOException.class, () -> {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", kafkaPort), 1_000);
      }
    }, "Kafka still listens");
    stack.close(); // idempotent
  }

  @Test
  void anInstallHintWhenAServerIsMissing() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Commands.requireOn("", Commands.INFLUXD));
    assertEquals(true, e.getMessage().contains(Commands.INSTALL_COMMAND));
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }
}
