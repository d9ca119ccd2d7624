package dev.tally.connect.influx;

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
 * What a worker gives a sink task, reduced to what the InfluxDB sink uses: the backoffs it asks
 * for, and an errant-record reporter that keeps what it is given (or none, as a worker without a
 * dead-letter queue or error log).
 */
final class FakeSinkTaskContext implements SinkTaskContext {

  /** One report to the errant-record reporter. */
  record Report(SinkRecord record, Throwable error) {
  }

  final List<Long> timeouts = new ArrayList<>();
  final List<Report> reports = new ArrayList<>();
  private final boolean hasReporter;

  private FakeSinkTaskContext(boolean hasReporter) {
    this.hasReporter = hasReporter;
  }

  static FakeSinkTaskContext withReporter() {
    return new FakeSinkTaskContext(true);
  }

  static FakeSinkTaskContext withoutReporter() {
    return new FakeSinkTaskContext(false);
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

  long lastTimeout() {
    return timeouts.isEmpty() ? 0 : timeouts.get(timeouts.size() - 1);
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
