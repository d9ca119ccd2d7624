package dev.tally.localstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A real {@code influxd}: line protocol in, nanosecond times out, no process left behind. */
class InfluxServerTest {

  @Test
  void writesAndQueriesPointsWithNanosecondTimesRefusesATakenPortAndStopsOnClose() throws Exception {
    InfluxServer influx = InfluxServer.start(null, 0);
    long pid = influx.pid();
    Path dir = influx.directory();
    try (influx) {
      assertEquals("http://127.0.0.1:" + influx.port(), influx.url());
      influx.createDatabase("tally");

      String lines = "events,type=click count=3i 1700000000000000001\n"
          + "events,type=view count=5i 1700000060123456789\n";
      HttpResponse<String> write = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(influx.url() + "/write?db=tally&precision=ns"))
              .POST(HttpRequest.BodyPublishers.ofString(lines)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(204, write.statusCode(), write.body());

      String json = influx.query("tally", "SELECT \"count\", \"type\" FROM events ORDER BY time");
      assertTrue(json.contains("\"columns\":[\"time\",\"count\",\"type\"]"), json);
      assertTrue(json.contains("[1700000000000000001,3,\"click\"]"), json);
      assertTrue(json.contains("[1700000060123456789,5,\"view\"]"), json);
      assertTrue(influx.query(null, "SHOW DATABASES").contains("\"tally\""));

      IllegalStateException taken = assertThrows(IllegalStateException.class,
          () -> InfluxServer.start(null, influx.port()).close());
      assertTrue(taken.getMessage().contains("address already in use"), taken.getMessage());
    }
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "influxd still runs");
    assertFalse(Files.exists(dir), "temporary directory kept");
    influx.close(); // idempotent
  }
}
