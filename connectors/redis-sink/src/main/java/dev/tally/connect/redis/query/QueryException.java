package dev.tally.connect.redis.query;

/** A query that cannot be answered, with a message meant for the person who asked. */
public final class QueryException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public QueryException(String message) {
    super(message);
  }

  public QueryException(String message, Throwable cause) {
    super(message, cause);
  }
}
