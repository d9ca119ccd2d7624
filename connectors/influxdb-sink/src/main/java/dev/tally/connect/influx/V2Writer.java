package dev.tally.connect.influx;

import com.influxdb.LogLevel;
import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.InfluxDBClientFactory;
import com.influxdb.client.InfluxDBClientOptions;
import com.influxdb.client.WriteApiBlocking;
import com.influxdb.client.domain.WritePrecision;
import com.influxdb.exceptions.InfluxException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import okhttp3.OkHttpClient;

/**
 * Writes to InfluxDB 2.x or 3.x through influxdb-client-java's {@link WriteApiBlocking}:
 * {@code POST /api/v2/write?org=..&bucket=..&precision=ns} with {@code Authorization: Token ..}.
 *
 * <p>Only the blocking API: the client's asynchronous {@code WriteApi} batches in a buffer that
 * drops points silently when it fills while the server is slow or down, and reports success before
 * the server has the points, so offsets could be committed for points never written.
 */
final class V2Writer implements InfluxWriter {

  private final InfluxDBClient client;
  private final WriteApiBlocking writes;
  private final String org;
  private final String bucket;

  V2Writer(InfluxDbSinkConfig config) {
    Duration timeout = Duration.ofMillis(config.timeoutMs());
    OkHttpClient.Builder http = new OkHttpClient.Builder()
        .connectTimeout(timeout)
        .readTimeout(timeout)
        .writeTimeout(timeout);
    this.org = config.org();
    this.bucket = config.bucket();
    InfluxDBClientOptions options = InfluxDBClientOptions.builder()
        .url(config.url())
        .authenticateToken(config.token().value().toCharArray())
        .org(org)
        .bucket(bucket)
        .precision(WritePrecision.NS)
        .okHttpClient(http)
        .logLevel(LogLevel.NONE)
        .build();
    this.client = InfluxDBClientFactory.create(options);
    this.writes = client.getWriteApiBlocking();
  }

  @Override
  public void write(List<String> lines) throws WriteFailure {
    try {
      writes.writeRecords(bucket, org, WritePrecision.NS, lines);
    } catch (InfluxException e) {
      // the client wraps a missing response (refused, reset, timeout) with status 0
      if (e.status() == 0) {
        throw WriteFailure.ofIo(e.getCause() instanceof IOException io ? io
            : new IOException(e.getMessage(), e));
      }
      throw WriteFailure.ofStatus(e.status(), serverMessage(e));
    }
  }

  /** The {@code message} of InfluxDB's JSON error body; the client's own text otherwise. */
  private static String serverMessage(InfluxException e) {
    Object message = e.errorBody().get("message");
    return message != null && !message.toString().isBlank() ? message.toString() : e.getMessage();
  }

  @Override
  public void close() {
    client.close();
  }
}
