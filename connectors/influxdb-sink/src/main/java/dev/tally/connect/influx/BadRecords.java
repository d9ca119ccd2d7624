package dev.tally.connect.influx;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where records go that can never be written (undecodable, or points the server refused): to
 * Connect's errant-record reporter (dead-letter queue, error log, per the connector's
 * {@code errors.*} settings), so that one bad record does not stop the others.
 *
 * <p>Without a reporter (a worker without a dead-letter queue or error log for this connector, or
 * one older than Kafka 2.6), {@code errors.tolerance=all} skips the record with a log line, and
 * anything else fails the task with the record's coordinates and the server's message: a record is
 * never dropped silently.
 */
final class BadRecords {

  private static final Logger log = LoggerFactory.getLogger(BadRecords.class);

  private final ErrantRecordReporter reporter;
  private final boolean tolerateAll;
  private final List<Future<Void>> pending = new ArrayList<>();

  /**
   * @param reporter the worker's reporter, or {@code null} when it has none
   * @param tolerateAll whether {@code errors.tolerance=all}
   */
  BadRecords(ErrantRecordReporter reporter, boolean tolerateAll) {
    this.reporter = reporter;
    this.tolerateAll = tolerateAll;
  }

  /**
   * Reports one record.
   *
   * @throws ConnectException when there is no reporter and errors are not tolerated (or the
   *     reporter's own tolerance is exceeded)
   */
  void report(SinkRecord record, Throwable error) {
    if (reporter != null) {
      pending.add(reporter.report(record, error));
      return;
    }
    String what = "Cannot write the record at " + PointMapper.coordinates(record) + ": "
        + error.getMessage();
    if (!tolerateAll) {
      throw new ConnectException(what + ". Configure a dead-letter queue "
          + "(errors.deadletterqueue.topic.name) or errors.tolerance=all to skip such records.",
          error);
    }
    log.warn("Skipping a record (errors.tolerance=all, no errant-record reporter). {}", what);
  }

  /**
   * Waits until every reported record is in the dead-letter queue, so that its offset is not
   * committed before it is safe somewhere.
   */
  void awaitReported() {
    try {
      for (Future<Void> future : pending) {
        future.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConnectException("Interrupted while reporting bad records", e);
    } catch (ExecutionException e) {
      throw new ConnectException("Could not report a bad record: " + e.getCause().getMessage(),
          e.getCause());
    } finally {
      pending.clear();
    }
  }
}
