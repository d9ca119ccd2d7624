package dev.tally.localstack;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PATH check and the install hint it gives. */
class CommandsTest {

  @Test
  void missingServersNameTheirDebianPackagesAndTheInstallCommand(@TempDir Path emptyDir) {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Commands.requireOn(emptyDir.toString(), Commands.REDIS_SERVER, Commands.INFLUXD));
    assertTrue(e.getMessage().contains("redis-server (Debian package redis-server)"), e.getMessage());
    assertTrue(e.getMessage().contains("influxd (Debian package influxdb)"), e.getMessage());
    assertTrue(e.getMessage().contains("apt-get install -y redis-server influxdb"), e.getMessage());
  }

  @Test
  void findsInstalledServersOnThePath() {
    Commands.requireServers();
    assertTrue(Commands.locate(Commands.INFLUXD).isPresent());
  }
}
