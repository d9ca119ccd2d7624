package dev.tally.topology.window;

import dev.tally.decode.Decoded;
import dev.tally.decode.EventDecoder;
import dev.tally.decode.Rejection;
import dev.tally.decode.UserEvent;
import dev.tally.topology.DeadLetters;
import dev.tally.topology.TallyMetrics;
import dev.tally.topology.TopologySettings;
import dev.tally.topology.internal.DeadLetter;
import dev.tally.topology.internal.Routed;
import dev.tally.topology.internal.SourcedEvent;
import dev.tally.topology.internal.Watermark;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Stage 1, one task per input partition: decodes each record, sends what cannot be decoded to the
 * dead-letter topic, keys every event by its username for the by-user shuffle, and announces this
 * partition's event-time clock ({@link SourceClock}) to every aggregating partition as a
 * {@link Watermark}: right away when it makes another window closable, and at most every
 * {@code watermarkIntervalMs} otherwise (which is also how an idle partition's clock moves on).
 */
public final class RouteProcessor implements Processor<byte[], byte[], byte[], Routed> {

  /** This task's clock: the highest event time of its partition. */
  public static final String CLOCK_STORE = "route-clock";

  private final TopologySettings settings;
  private final InputLag lag;
  private final EventDecoder decoder = new EventDecoder();
  private ProcessorContext<byte[], Routed> context;
  private TallyMetrics metrics;
  private DeadLetters deadLetters;
  private SourceClock clock;
  private long announced = Long.MIN_VALUE;

  public RouteProcessor(TopologySettings settings, InputLag lag) {
    this.settings = settings;
    this.lag = lag;
  }

  @Override
  public void init(ProcessorContext<byte[], Routed> context) {
    this.context = context;
    this.metrics = new TallyMetrics(context);
    this.deadLetters = new DeadLetters(context, metrics);
    KeyValueStore<Integer, Long> store = context.getStateStore(CLOCK_STORE);
    this.clock = new SourceClock(store, settings.idleTimeoutMs(), context.currentSystemTimeMs());
    context.schedule(Duration.ofMillis(settings.watermarkIntervalMs()), PunctuationType.WALL_CLOCK_TIME,
        now -> announce(clock.watermark(now, lag.of(context.taskId().partition())), false));
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata source = context.recordMetadata().orElseThrow();
    Decoded decoded = decoder.decode(record.value(), record.timestamp());
    for (Rejection rejection : decoded.rejections()) {
      deadLetters.send(record.key(), new DeadLetter(rejection.reason(), rejection.message(),
          rejection.payload(), source.topic(), source.partition(), source.offset()));
    }
    if (decoded.events().isEmpty()) {
      return;
    }
    metrics.add(TallyMetrics.EVENTS_DECODED, "format", decoded.format().code(),
        decoded.events().size());
    long now = context.currentSystemTimeMs();
    for (UserEvent event : decoded.events()) {
      SourcedEvent sourced = new SourcedEvent(event.product(), event.eventType(), event.username(),
          event.timestampNs(), source.partition(), source.offset());
      context.forward(new Record<>(event.username().getBytes(StandardCharsets.UTF_8), sourced,
          event.timestampMs()));
      clock.observe(event.timestampMs(), now);
    }
    announce(clock.watermark(now, 0), true);
  }

  /**
   * Sends the watermark to every aggregating partition. On the record path only when it closes another
   * window, since sending one per record would multiply the shuffle's traffic.
   */
  private void announce(long watermark, boolean onlyIfClosing) {
    if (watermark == Long.MIN_VALUE || watermark == announced) {
      return;
    }
    boolean first = announced == Long.MIN_VALUE || announced == Watermark.NO_DATA;
    if (!first) {
      Windows windows = settings.windows();
      if (watermark == Watermark.NO_DATA || watermark < announced
          || (onlyIfClosing && windows.firstOpenStart(watermark) == windows.firstOpenStart(announced))) {
        return;
      }
    }
    announced = watermark;
    long timestamp = watermark == Watermark.NO_DATA ? context.currentSystemTimeMs() : watermark;
    context.forward(new Record<>(Watermark.KEY,
        new Watermark(context.taskId().partition(), settings.inputPartitions(), watermark), timestamp));
  }

  @Override
  public void close() {
    metrics.close();
  }
}
