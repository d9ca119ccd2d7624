package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class ThreadReplacementTest {

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final ThreadReplacement handler = new ThreadReplacement(now::get);

  @Test
  void theBrokersTransientErrorsReplaceTheThreadAndEverythingElseStopsTheInstance() {
    // as a stream thread met it when the brokers aborted its transaction during a broker's outage
    assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, handler.handle(new StreamsException(
        "Error encountered trying to commit a transaction",
        new InvalidTxnStateException("The producer attempted a transactional operation in an invalid state."))));
    assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, handler.handle(
        new StreamsException(new KafkaException(new ProducerFencedException("fenced")))));
    assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD,
        handler.handle(new StreamsException(new TimeoutException("no answer"))));

    assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT,
        handler.handle(new StreamsException(new IllegalStateException("a bug"))));
    assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT,
        handler.handle(new StreamsException("cannot read an internal record")));
  }

  @Test
  void replacementsThatKeepComingStopTheInstanceUntilTheWindowHasPassed() {
    StreamsException transientError = new StreamsException(new InvalidTxnStateException("aborted"));
    for (int i = 0; i < ThreadReplacement.MAX_REPLACEMENTS; i++) {
      assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, handler.handle(transientError));
      now.addAndGet(1_000);
    }
    assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, handler.handle(transientError),
        "one more within the window");

    now.addAndGet(ThreadReplacement.WINDOW_MS);
    assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, handler.handle(transientError),
        "the earlier ones have left the window");
  }
}
