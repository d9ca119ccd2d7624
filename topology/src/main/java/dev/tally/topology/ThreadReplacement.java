package dev.tally.topology;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TransactionAbortableException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a stream thread's uncaught exception does to the instance. An exception of the brokers'
 * transactions or availability (a transaction the brokers aborted while a broker was down, a fenced
 * or stale producer, a retriable error that outlasted its retries) replaces the thread: under
 * exactly_once_v2 its open transaction is aborted, and the new thread takes its tasks up again from
 * the last commit, as another instance would after a fail-over. Anything else (a bug, corrupt state,
 * an internal record it cannot read) shuts the instance down, as Kafka Streams' default does, so
 * that it is seen; and so does an exception that replaced {@value #MAX_REPLACEMENTS} threads within
 * {@value #WINDOW_MS} ms, which is no longer transient.
 */
final class ThreadReplacement implements StreamsUncaughtExceptionHandler {

  static final int MAX_REPLACEMENTS = 5;
  static final long WINDOW_MS = 10 * 60_000;
  private static final Logger LOG = LoggerFactory.getLogger(ThreadReplacement.class);

  private final LongSupplier clock;
  private final Deque<Long> replaced = new ArrayDeque<>();

  ThreadReplacement(LongSupplier clock) {
    this.clock = clock;
  }

  @Override
  public synchronized StreamThreadExceptionResponse handle(Throwable exception) {
    Throwable cause = transientCause(exception);
    if (cause == null) {
      LOG.error("A stream thread failed on an exception that is not one of the brokers' transient "
          + "ones: shutting this instance down", exception);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    long now = clock.getAsLong();
    while (!replaced.isEmpty() && now - replaced.peekFirst() >= WINDOW_MS) {
      replaced.removeFirst();
    }
    if (replaced.size() >= MAX_REPLACEMENTS) {
      LOG.error("A stream thread failed on {} after {} threads were replaced within {} ms: shutting "
          + "this instance down", cause, replaced.size(), WINDOW_MS, exception);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    replaced.addLast(now);
    LOG.warn("A stream thread failed on {}: replacing it; its open transaction is aborted and its "
        + "tasks resume from their last commit", cause, exception);
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /** The first exception in the cause chain that a new stream thread may not meet again, or null. */
  static Throwable transientCause(Throwable exception) {
    for (Throwable cause = exception; cause != null; cause = cause.getCause()) {
      if (cause instanceof InvalidTxnStateException || cause instanceof ProducerFencedException
          || cause instanceof InvalidProducerEpochException
          || cause instanceof InvalidPidMappingException
          || cause instanceof TransactionAbortableException || cause instanceof RetriableException) {
        return cause;
      }
    }
    return null;
  }
}
