package dev.tally.topology.route;

import dev.tally.decode.EventBytes;
import dev.tally.decode.InputFormat;
import dev.tally.topology.TallyMetrics;
import dev.tally.topology.wire.EventBatch;
import dev.tally.topology.wire.Routed;
import dev.tally.topology.wire.ShufflePartitioner;
import dev.tally.topology.wire.StoreKeys;
import dev.tally.topology.wire.Watermark;
import java.util.EnumMap;
import java.util.Map;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The input stage's events on their way to the by-user shuffle: one {@link EventBatch} per by-user
 * partition, sent when full or when {@link #sendAll} is called (before every watermark and every
 * commit), and the decoded-events metric, recorded when the batches go out since a sensor records
 * under a lock.
 */
final class Batches {

  private final ProcessorContext<byte[], Routed> context;
  private final TallyMetrics metrics;
  private final EventBatch.Builder[] batches;
  private final Map<InputFormat, Sensor> decodedByFormat = new EnumMap<>(InputFormat.class);
  /** Decoded events per format not yet recorded. */
  private final long[] decodedPending = new long[InputFormat.values().length];
  /** Scratch for one event's series bytes. */
  private byte[] series = new byte[64];

  Batches(ProcessorContext<byte[], Routed> context, TallyMetrics metrics, int partitions) {
    this.context = context;
    this.metrics = metrics;
    this.batches = new EventBatch.Builder[partitions];
    for (int p = 0; p < partitions; p++) {
      batches[p] = new EventBatch.Builder(p);
    }
  }

  /** Adds {@code event}, read at {@code offset}, to the batch of its user's partition. */
  void add(EventBytes event, long offset) {
    int partition = ShufflePartitioner.partitionOf(event.array(), event.usernameAt(),
        event.usernameLength(), batches.length);
    int seriesLength = StoreKeys.seriesLength(event);
    if (series.length < seriesLength) {
      series = new byte[Math.max(seriesLength, series.length * 2)];
    }
    StoreKeys.writeSeries(event, series, 0);
    EventBatch.Builder batch = batches[partition];
    batch.add(event.timestampNs(), offset, series, 0, seriesLength, event.array(),
        event.usernameAt(), event.usernameLength());
    if (batch.size() >= EventBatch.MAX_BYTES) {
      send(batch);
    }
  }

  /** Counts {@code events} decoded from one record of {@code format}. */
  void decoded(InputFormat format, int events) {
    decodedPending[format.ordinal()] += events;
  }

  /** Sends every batch that holds events, and records the decoded events' metric. */
  void sendAll() {
    for (EventBatch.Builder batch : batches) {
      if (!batch.isEmpty()) {
        send(batch);
      }
    }
    for (InputFormat format : InputFormat.values()) {
      long decoded = decodedPending[format.ordinal()];
      if (decoded > 0) {
        decodedSensor(format).record(decoded);
        decodedPending[format.ordinal()] = 0;
      }
    }
  }

  /** A batch goes out with the wall-clock time: its events' times may lie anywhere. */
  private void send(EventBatch.Builder batch) {
    context.forward(new Record<>(Watermark.KEY, batch.build(context.taskId().partition()),
        context.currentSystemTimeMs()));
  }

  private Sensor decodedSensor(InputFormat format) {
    Sensor sensor = decodedByFormat.get(format);
    if (sensor == null) {
      sensor = metrics.counter(TallyMetrics.EVENTS_DECODED, "format", format.code());
      decodedByFormat.put(format, sensor);
    }
    return sensor;
  }
}
