package dev.tally.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;

/**
 * What a Connect worker gives a sink task, reduced to what Tally's sinks use: it records the
 * backoffs the task asks for ({@link #timeout(long)}) and keeps what the task gives its errant-record
 * reporter, or has no reporter at all, as a worker without a dead-letter queue or error log.
 */
public final class RecordingSinkTaskContext implements SinkTaskContext {

  /** One record given to the errant-record reporter, with its error. */
  public record Report(SinkRecord record, Throwable error) {
  }

  private final List<Long> timeouts = new ArrayList<>();
  private final List<Report> reports = new ArrayList<>();
  private final boolean hasReporter;

  private RecordingSinkTaskContext(boolean hasReporter) {
    this.hasReporter = hasReporter;
  }

  /** A context whose worker has a dead-letter queue (or error log): errant records are kept. */
  public static RecordingSinkTaskContext withReporter() {
    return new RecordingSinkTaskContext(true);
  }

  /** A context whose worker has no errant-record reporter. */
  public static RecordingSinkTaskContext withoutReporter() {
    return new RecordingSinkTaskContext(false);
  }

  /** Every backoff the task asked for, in order. */
  public List<Long> timeouts() {
    return timeouts;
  }

  /** The last backoff the task asked for, or 0. */
  public long lastTimeout() {
    return timeouts.isEmpty() ? 0 : timeouts.get(timeouts.size() - 1);
  }

  /** Every record given to the errant-record reporter, in order. */
  public List<Report> reports() {
    return reports;
  }

  @Override
  public ErrantRecordReporter errantRecordReporter() {
    if (!hasReporter) {
      return null;
    }
    return (record, error) -> {
      reports.add(new Report(record, error));
      return CompletableFuture.completedFuture(null);
    };
  }

  @Override
  public void timeout(long timeoutMs) {
    timeouts.add(timeoutMs);
  }

  @Override
  public Map<String, String> configs() {
    return Map.of();
  }

  @Override
  public void offset(Map<TopicPartition, Long> offsets) {
  }

  @Override
  public void offset(TopicPartition tp, long offset) {
  }

  @Override
  public Set<TopicPartition> assignment() {
    return Set.of();
  }

  @Override
  public void pause(TopicPartition... partitions) {
  }

  @Override
  public void resume(TopicPartition... partitions) {
  }

  @Override
  public void requestCommit() {
  }

  @Override
  public PluginMetrics pluginMetrics() {
    return null;
  }
}
