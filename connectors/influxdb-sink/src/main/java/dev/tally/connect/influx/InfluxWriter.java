package dev.tally.connect.influx;

import java.util.List;

/**
 * One write request of line-protocol lines to InfluxDB, synchronous: when {@link #write} returns,
 * the server has accepted every line. The two implementations differ only in the API they speak;
 * what to do about a failure is decided by the caller from {@link WriteFailure#kind()}.
 */
interface InfluxWriter extends AutoCloseable {

  /**
   * Writes the lines (nanosecond timestamps) in one request.
   *
   * @throws WriteFailure if the server did not accept all of them, or did not answer
   */
  void write(List<String> lines) throws WriteFailure;

  /** Releases the connection pool. */
  @Override
  void close();

  /** The writer for the configured API. */
  static InfluxWriter create(InfluxDbSinkConfig config) {
    return switch (config.api()) {
      case V1 -> new V1Writer(config);
      case V2 -> new V2Writer(config);
    };
  }
}
