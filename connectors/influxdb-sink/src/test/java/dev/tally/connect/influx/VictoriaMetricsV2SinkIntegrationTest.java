package dev.tally.connect.influx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/**
 * The v2 path ({@code influx.api=v2}, influxdb-client-java's blocking write API) against a real
 * server of {@code /api/v2/write}: Debian's VictoriaMetrics, a fresh one per test since it has no
 * databases to separate tests by. The request itself (org, bucket, token, precision) and the
 * failure statuses are checked in {@link V2WriteRequestTest}.
 */
class VictoriaMetricsV2SinkIntegrationTest extends AbstractInfluxSinkSuite {

  private VictoriaMetricsServer server;

  @Override
  protected Map<String, String> freshTarget() {
    stopServer();
    try {
      server = VictoriaMetricsServer.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    Map<String, String> config = new HashMap<>();
    config.put("influx.api", "v2");
    config.put("influx.url", server.url());
    config.put("influx.org", "ops");
    config.put("influx.bucket", "tally");
    config.put("influx.token", "a-token");
    config.put("influx.timeout.ms", "2000");
    config.put("influx.retry.backoff.ms", "100");
    return config;
  }

  @Override
  protected List<Point> readBack() {
    try {
      return server.points();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.close();
      server = null;
    }
  }
}
