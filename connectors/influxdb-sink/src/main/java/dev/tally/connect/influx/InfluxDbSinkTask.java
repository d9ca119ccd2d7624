package dev.tally.connect.influx;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the final results of each {@link #put} to InfluxDB before returning, so Connect commits
 * a record's offset only after its points are on the server: a crash or an outage loses nothing,
 * and writing the same points again after a restart is harmless.
 *
 * <p>Per put: {@link PointMapper} turns records into lines (live updates are skipped),
 * {@link BatchWriter} writes them through the configured {@link InfluxWriter} and isolates points
 * the server refuses, which go to {@link BadRecords}; a failure that may pass (5xx, timeout, no
 * connection) becomes a {@link RetriableException} after {@code context.timeout(backoff)} from
 * {@link Backoff}, and the worker delivers the same records again after the backoff.
 * {@link SinkMetrics} counts points written, records skipped or refused, and retries.
 */
public final class InfluxDbSinkTask extends SinkTask {

  private static final Logger log = LoggerFactory.getLogger(InfluxDbSinkTask.class);

  private InfluxDbSinkConfig config;
  private InfluxWriter writer;
  private BatchWriter batchWriter;
  private Backoff retry;
  private BadRecords badRecords;
  private SinkMetrics metrics;
  private final PointMapper mapper = new PointMapper();

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    config = InfluxDbSinkConfig.parse(props);
    writer = InfluxWriter.create(config);
    batchWriter = new BatchWriter(writer, config.batchMaxPoints());
    retry = config.backoff();
    badRecords = new BadRecords(errantRecordReporter(), config.toleratesErrors());
    metrics = new SinkMetrics(pluginMetrics());
    log.info("Writing final results to {}", config.target());
  }

  private ErrantRecordReporter errantRecordReporter() {
    try {
      return context.errantRecordReporter();
    } catch (LinkageError olderWorker) {
      // workers before Kafka 2.6 have no reporter; BadRecords then fails or skips per tolerance
      return null;
    }
  }

  private PluginMetrics pluginMetrics() {
    try {
      return context.pluginMetrics();
    } catch (LinkageError olderWorker) {
      // workers before Kafka 4.1 have no plugin metrics; the counters stay in the task
      return null;
    }
  }

  /** The task's counters. */
  SinkMetrics metrics() {
    return metrics;
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    List<BatchWriter.Pending> batch = new ArrayList<>(records.size());
    List<Undecodable> undecodable = new ArrayList<>();
    for (SinkRecord record : records) {
      try {
        List<String> lines = mapper.lines(record);
        if (!lines.isEmpty()) {
          batch.add(new BatchWriter.Pending(record, lines));
        } else if (record.value() != null) {
          metrics.liveUpdatesSkipped.incrementAndGet();
        }
      } catch (DataException e) {
        undecodable.add(new Undecodable(record, e));
      }
    }
    List<BatchWriter.Refused> refused = writeAll(batch);
    // reported only once the whole batch is written: a retried batch would report them twice
    for (Undecodable u : undecodable) {
      metrics.badRecords.incrementAndGet();
      badRecords.report(u.record(), u.error());
    }
    for (BatchWriter.Refused r : refused) {
      metrics.badRecords.incrementAndGet();
      badRecords.report(r.record(), new DataException("InfluxDB refused the points "
          + r.lines() + " of the record at " + PointMapper.coordinates(r.record()) + ": "
          + r.failure().getMessage(), r.failure()));
    }
  }

  private record Undecodable(SinkRecord record, DataException error) {
  }

  private List<BatchWriter.Refused> writeAll(List<BatchWriter.Pending> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    try {
      List<BatchWriter.Refused> refused = batchWriter.write(batch);
      if (retry.failures() > 0) {
        log.info("Writing to {} works again after {} failed attempts", config.target(),
            retry.failures());
      }
      retry.onSuccess();
      int refusedPoints = 0;
      for (BatchWriter.Refused r : refused) {
        refusedPoints += r.lines().size();
      }
      // a refused record's other point may have been written (partial write): counted as not
      metrics.pointsWritten.addAndGet(pointCount(batch) - refusedPoints);
      return refused;
    } catch (WriteFailure e) {
      if (e.kind() != WriteFailure.Kind.RETRIABLE) {
        throw new ConnectException("Cannot write to " + config.target() + ": " + e.getMessage(), e);
      }
      OptionalLong backoff = retry.onFailure();
      if (backoff.isEmpty()) {
        throw new ConnectException("Cannot write to " + config.target() + " after "
            + retry.maxRetries() + " retries (" + InfluxDbSinkConfig.MAX_RETRIES + "): "
            + e.getMessage() + ". Nothing is lost: the offsets of these records are not "
            + "committed, and a restarted task writes them again.", e);
      }
      log.warn("Writing {} points to {} failed ({}); retry {} in {} ms", pointCount(batch),
          config.target(), e.getMessage(), retry.failures(), backoff.getAsLong());
      metrics.writeRetries.incrementAndGet();
      context.timeout(backoff.getAsLong());
      throw new RetriableException("Cannot write to " + config.target() + ": " + e.getMessage(), e);
    }
  }

  private static int pointCount(List<BatchWriter.Pending> batch) {
    int points = 0;
    for (BatchWriter.Pending pending : batch) {
      points += pending.lines().size();
    }
    return points;
  }

  /** Every put wrote its points already; only reported bad records may still be in flight. */
  @Override
  public void flush(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
    if (badRecords != null) {
      badRecords.awaitReported();
    }
  }

  @Override
  public void stop() {
    if (writer != null) {
      writer.close();
    }
  }
}
