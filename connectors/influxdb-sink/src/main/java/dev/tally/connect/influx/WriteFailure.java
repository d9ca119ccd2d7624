package dev.tally.connect.influx;

import java.io.IOException;

/**
 * A write request that did not succeed, classified by what the sink does about it. This is the one
 * place that maps HTTP statuses to a course of action, for both write APIs.
 */
final class WriteFailure extends Exception {

  private static final long serialVersionUID = 1L;

  /** What a failure means for the points in the request. */
  enum Kind {
    /**
     * The server refused some points (400, 422: bad line, field type conflict). Other points of
     * the same request may have been written (InfluxDB's "partial write"); writing them again is
     * harmless, so the sink isolates the bad ones by writing smaller requests.
     */
    BAD_POINTS,
    /** The request was too big (413): smaller requests will do. */
    TOO_LARGE,
    /** The server or the network may recover (5xx, 408, 429, timeouts, refused connections). */
    RETRIABLE,
    /** Retrying the same request cannot help (401, 403, 404, other 4xx): the configuration. */
    FATAL
  }

  private final Kind kind;
  private final int status;

  private WriteFailure(Kind kind, int status, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.status = status;
  }

  /** A response with a non-2xx status and the server's message. */
  static WriteFailure ofStatus(int status, String serverMessage) {
    String message = "HTTP " + status + (serverMessage == null || serverMessage.isBlank() ? ""
        : ": " + serverMessage.strip()) + hint(status);
    return new WriteFailure(classify(status), status, message, null);
  }

  /** No response: refused or reset connection, timeout, unknown host. */
  static WriteFailure ofIo(IOException cause) {
    String what = cause.getMessage() == null ? cause.getClass().getSimpleName()
        : cause.getClass().getSimpleName() + ": " + cause.getMessage();
    return new WriteFailure(Kind.RETRIABLE, 0, "no response (" + what + ")", cause);
  }

  static Kind classify(int status) {
    if (status >= 500 || status == 408 || status == 429) {
      return Kind.RETRIABLE;
    }
    return switch (status) {
      case 400, 422 -> Kind.BAD_POINTS;
      case 413 -> Kind.TOO_LARGE;
      default -> Kind.FATAL;
    };
  }

  private static String hint(int status) {
    return switch (status) {
      case 401, 403 -> " (check the credentials: influx.username/influx.password for v1, "
          + "influx.token for v2, and the write permission)";
      case 404 -> " (check that the database or bucket exists and that influx.api matches the "
          + "server: InfluxDB 1.x before 1.8 has no /api/v2/write)";
      default -> "";
    };
  }

  Kind kind() {
    return kind;
  }

  /** The HTTP status, or 0 when there was no response. */
  int status() {
    return status;
  }
}
