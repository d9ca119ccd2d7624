package dev.tally.connect.redis;

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

/** A SinkTaskContext that remembers the retry timeout asked for and the records reported. */
final class FakeContext implements SinkTaskContext {

  /** A reported record and the error it was reported with. */
  record Report(SinkRecord record, Throwable error) {
  }

  final List<Report> reports = new ArrayList<>();
  final List<Long> timeouts = new ArrayList<>();
  private final boolean withReporter;

  FakeContext(boolean withReporter) {
    this.withReporter = withReporter;
  }

  @Override
  public ErrantRecordReporter errantRecordReporter() {
    if (!withReporter) {
      return null;
    }
    return (record, error) -> {
      reports.add(new Report(record, error));
      return CompletableFuture.completedFuture(null);
    };
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
  public void timeout(long timeoutMs) {
    timeouts.add(timeoutMs);
  }

  @Override
  public Set<TopicPartition> assignment() {
    return Set.of(new TopicPartition(Minutes.TOPIC, 0));
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
