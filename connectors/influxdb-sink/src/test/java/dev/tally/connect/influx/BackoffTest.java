package dev.tally.connect.influx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void theBackoffDoublesUpToItsCapAndStartsOverAfterASuccess() {
    Backoff retry = new Backoff(100, 1_000, -1);
    assertEquals(OptionalLong.of(100), retry.onFailure());
    assertEquals(OptionalLong.of(200), retry.onFailure());
    assertEquals(OptionalLong.of(400), retry.onFailure());
    assertEquals(OptionalLong.of(800), retry.onFailure());
    assertEquals(OptionalLong.of(1_000), retry.onFailure());
    for (int i = 0; i < 200; i++) {
      assertEquals(OptionalLong.of(1_000), retry.onFailure(), "no overflow on a long outage");
    }
    retry.onSuccess();
    assertEquals(OptionalLong.of(100), retry.onFailure());
  }

  @Test
  void retriesStopAtTheLimit() {
    Backoff retry = new Backoff(10, 10, 2);
    assertTrue(retry.onFailure().isPresent());
    assertTrue(retry.onFailure().isPresent());
    assertTrue(retry.onFailure().isEmpty());
    assertEquals(3, retry.failures());
  }

  @Test
  void statusesAreClassifiedByWhatHelps() {
    for (int status : new int[] {500, 502, 503, 504, 408, 429}) {
      assertEquals(WriteFailure.Kind.RETRIABLE, WriteFailure.classify(status), "" + status);
    }
    assertEquals(WriteFailure.Kind.BAD_POINTS, WriteFailure.classify(400));
    assertEquals(WriteFailure.Kind.BAD_POINTS, WriteFailure.classify(422));
    assertEquals(WriteFailure.Kind.TOO_LARGE, WriteFailure.classify(413));
    for (int status : new int[] {401, 403, 404, 405}) {
      assertEquals(WriteFailure.Kind.FATAL, WriteFailure.classify(status), "" + status);
    }
    assertEquals(WriteFailure.Kind.RETRIABLE,
        WriteFailure.ofIo(new java.net.ConnectException("Connection refused")).kind());
    assertTrue(WriteFailure.ofStatus(404, "database not found: \"x\"").getMessage()
        .startsWith("HTTP 404: database not found: \"x\" (check that the database"));
  }
}
