package dev.tally.topology;

import dev.tally.decode.BadInputReason;
import dev.tally.topology.wire.DeadLetter;
import dev.tally.topology.wire.Routed;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends records that cannot be counted to the dead-letter topic: the payload as value, the reason and
 * the source coordinates in headers, one metric per reason, and a log line with the coordinates (the
 * first of each reason, then at most one every {@value #LOG_EVERY_MS} ms with the number left out).
 */
public final class DeadLetters {

  /** Header: the {@link BadInputReason#code()}. */
  public static final String REASON = "tally.error.reason";
  /** Header: what exactly is wrong. */
  public static final String MESSAGE = "tally.error.message";
  public static final String SOURCE_TOPIC = "tally.source.topic";
  public static final String SOURCE_PARTITION = "tally.source.partition";
  public static final String SOURCE_OFFSET = "tally.source.offset";

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
  private static final long LOG_EVERY_MS = 10_000;

  private final ProcessorContext<byte[], ? super Routed> context;
  private final TallyMetrics metrics;
  private final ThrottledLog<BadInputReason> logged = new ThrottledLog<>(LOG_EVERY_MS);
  private final Map<BadInputReason, Sensor> byReason = new EnumMap<>(BadInputReason.class);

  public DeadLetters(ProcessorContext<byte[], ? super Routed> context, TallyMetrics metrics) {
    this.context = context;
    this.metrics = metrics;
  }

  public void send(byte[] key, DeadLetter letter) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(REASON, utf8(letter.reason().code()));
    headers.add(MESSAGE, utf8(letter.message()));
    headers.add(SOURCE_TOPIC, utf8(letter.sourceTopic()));
    headers.add(SOURCE_PARTITION, utf8(Integer.toString(letter.sourcePartition())));
    headers.add(SOURCE_OFFSET, utf8(Long.toString(letter.sourceOffset())));
    long now = context.currentSystemTimeMs();
    context.forward(new Record<byte[], Routed>(key, letter, now, headers));
    Sensor sensor = byReason.get(letter.reason());
    if (sensor == null) {
      sensor = metrics.counter(TallyMetrics.DEAD_LETTERS, "reason", letter.reason().code());
      byReason.put(letter.reason(), sensor);
    }
    sensor.record(1);
    log(letter, now);
  }

  private void log(DeadLetter letter, long now) {
    long leftOut = logged.admit(letter.reason(), now);
    if (leftOut >= 0) {
      LOG.warn("Sending record to the dead-letter topic. reason=[{}] message=[{}] topic=[{}] "
              + "partition=[{}] offset=[{}]{}", letter.reason().code(), letter.message(),
          letter.sourceTopic(), letter.sourcePartition(), letter.sourceOffset(),
          ThrottledLog.leftOut(leftOut));
    }
  }

  private static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }
}
