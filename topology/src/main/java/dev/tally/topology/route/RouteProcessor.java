package dev.tally.topology.route;

import dev.tally.decode.Decoded;
import dev.tally.decode.EventBytes;
import dev.tally.decode.EventDecoder;
import dev.tally.decode.Rejection;
import dev.tally.topology.DeadLetters;
import dev.tally.topology.TallyMetrics;
import dev.tally.topology.TopologySettings;
import dev.tally.topology.commit.CommitPacer;
import dev.tally.topology.commit.CommitPacers;
import dev.tally.topology.commit.LiveCommit;
import dev.tally.topology.compat.CommitHook;
import dev.tally.topology.time.ClockBoard;
import dev.tally.topology.time.Generation;
import dev.tally.topology.time.InputState;
import dev.tally.topology.time.Windows;
import dev.tally.topology.wire.DeadLetter;
import dev.tally.topology.wire.InputPack;
import dev.tally.topology.wire.Routed;
import dev.tally.topology.wire.Watermark;
import java.time.Duration;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 1, one task per input partition: decodes each record, sends what cannot be decoded to the
 * dead-letter topic, sends every event to the by-user partition of its username, and announces this
 * partition's event-time clock ({@link SourceClock}) to every aggregating partition as a
 * {@link Watermark}: right away when it makes another window closable, and at most every
 * {@code watermarkIntervalMs} otherwise; and, on its punctuation, whenever the brokers' latest answer
 * found the partition drained ({@link SourceClock}), as of when and how long it had been quiet.
 * Each watermark says whether the partition's consumer had caught up ({@link InputState#waiting});
 * once it has, the latest one goes out again saying so, and the stage commits what closed windows
 * ({@link LiveCommit}). Stateless (its {@link CommitHook} holds nothing), so that growing the events topic does not break it.
 *
 * <p>When the application's consumers pack the events topic ({@link InputState#packed}), each record
 * this stage gets is an {@link InputPack} of consecutive input records, which it takes one by one,
 * each with its own offset (for dead letters and the batches), key and timestamp.
 *
 * <p>Events are decoded as byte ranges ({@link EventBytes}): an Avro event's series and username go
 * from the record into its batch with no String built, and its partition is hashed in place.
 *
 * <p>Events cross the shuffle in batches ({@link Batches}), one per by-user partition, each sent when
 * it is full, before every watermark (so that no event arrives after a watermark that promised it
 * would not) and before every commit (so that the transaction committing an input offset holds its
 * events).
 *
 * <p>Events of windows outside this application's {@link Generation} are skipped ({@link
 * GenerationSkips}: counted, logged, not dead-lettered), but still move the clock, since the windows
 * this generation does own must close while the traffic has moved on past its last one.
 */
public final class RouteProcessor implements Processor<byte[], byte[], byte[], Routed> {

  /** The store whose commit hook sends the batches. */
  public static final String COMMIT_HOOK_STORE = "route-commit-hook";

  private static final Logger LOG = LoggerFactory.getLogger(RouteProcessor.class);

  private final TopologySettings settings;
  private final Generation generation;
  private final InputState input;
  private final ClockBoard board;
  private Sensor eventTimeGauge;
  private Sensor drainedGauge;
  private Sensor quietGauge;
  private final EventDecoder decoder = new EventDecoder();
  private ProcessorContext<byte[], Routed> context;
  private TallyMetrics metrics;
  private DeadLetters deadLetters;
  private SourceClock clock;
  private CommitHook commitHook;
  private final CommitPacers pacers;
  private CommitPacer pacer;
  private Batches batches;
  private GenerationSkips skips;
  /** The offset after the last record this task processed, or -1 before its first. */
  private long nextOffset = -1;
  private long announced = Long.MIN_VALUE;
  /** The as-of time of the latest drained watermark sent. */
  private long drainedAsOfSent = Long.MIN_VALUE;
  /** What the latest watermark said of this partition's input. */
  private boolean announcedCaughtUp;
  /** When to commit: at once after a watermark that closes a window, if due. */
  private LiveCommit commits;
  private final EventBytes.Sink routeEvent = this::route;
  /** Reads the packs the input comes in, when it does ({@link InputState#packed}). */
  private final InputPack.Reader pack = new InputPack.Reader();
  // The record being routed, for routeEvent: its Kafka record (or pack) and its own offset.
  private RecordMetadata source;
  private long offset;
  private long now;
  private boolean ahead;
  private int routed;

  public RouteProcessor(TopologySettings settings, InputState input, ClockBoard board,
      CommitPacers pacers) {
    this.settings = settings;
    this.pacers = pacers;
    this.generation = settings.generation();
    this.input = input;
    this.board = board;
  }

  @Override
  public void init(ProcessorContext<byte[], Routed> context) {
    this.context = context;
    this.metrics = new TallyMetrics(context);
    this.deadLetters = new DeadLetters(context, metrics);
    // looks come with the punctuation every watermarkIntervalMs; a gap of half the idle timeout is
    // a stall that the quiet time must not count
    this.clock = new SourceClock(settings.idleTimeoutMs(),
        Math.max(settings.idleTimeoutMs() / 2, 2 * settings.watermarkIntervalMs()),
        context.currentSystemTimeMs());
    // after a task's dirty close Kafka Streams may init this processor again: start with nothing
    this.batches = new Batches(context, metrics, settings.aggregationPartitions());
    this.skips = new GenerationSkips(generation, metrics);
    this.nextOffset = -1;
    this.announced = Long.MIN_VALUE;
    this.drainedAsOfSent = Long.MIN_VALUE;
    this.announcedCaughtUp = false;
    this.eventTimeGauge = metrics.gauge(TallyMetrics.INPUT_EVENT_TIME);
    this.drainedGauge = metrics.gauge(TallyMetrics.INPUT_DRAINED);
    this.quietGauge = metrics.gauge(TallyMetrics.INPUT_QUIET);
    this.commitHook = context.getStateStore(COMMIT_HOOK_STORE);
    this.pacer = pacers.forCurrentThread();
    this.commits = new LiveCommit(context, pacer);
    commitHook.beforeCommit(() -> {
      pacer.flushing();
      batches.sendAll();
    });
    context.schedule(Duration.ofMillis(settings.watermarkIntervalMs()), PunctuationType.WALL_CLOCK_TIME,
        this::punctuate);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    pacer.working();
    RecordMetadata source = context.recordMetadata().orElseThrow();
    commitHook.lastRecord(source.topic(), source.partition(), source.offset(), record.timestamp());
    this.source = source;
    this.now = context.currentSystemTimeMs();
    if (!input.packed()) {
      routeRecord(source.offset(), record.key(), record.value(), record.timestamp(), null);
      return;
    }
    for (InputPack.Reader reader = pack.reset(record.value()); reader.next(); ) {
      // a record without a valid timestamp takes the pack's, as Kafka Streams' extractor gave it
      long timestamp = reader.timestamp() >= 0 ? reader.timestamp() : record.timestamp();
      routeRecord(reader.offset(), null, reader.value(), timestamp, reader);
    }
  }

  /**
   * Decodes one input record and routes its events.
   *
   * @param key the record's key, or null to take it from {@code pack} if a dead letter needs it
   */
  private void routeRecord(long offset, byte[] key, byte[] value, long timestampMs,
      InputPack.Reader pack) {
    this.offset = offset;
    this.nextOffset = offset + 1;
    this.ahead = false;
    this.routed = 0;
    Decoded decoded = decoder.decode(value, timestampMs, routeEvent);
    if (!decoded.rejections().isEmpty()) {
      byte[] recordKey = pack == null ? key : pack.key();
      for (Rejection rejection : decoded.rejections()) {
        deadLetters.send(recordKey, new DeadLetter(rejection.reason(), rejection.message(),
            rejection.payload(), source.topic(), source.partition(), offset));
      }
    }
    if (routed == 0) {
      return;
    }
    batches.decoded(decoded.format(), routed);
    // an event past this generation's last window is announced in the transaction that commits its
    // offset, so that a hand-over can tell from Kafka alone whether one came before its offsets
    announce(clock.eventTime(), !ahead);
  }

  /** One event of the record at {@link #offset}: into the batch of its user's partition. */
  private void route(EventBytes event) {
    routed++;
    long window = settings.windows().startOf(event.timestampMs());
    if (generation.owns(window)) {
      batches.add(event, offset);
    } else {
      skips.skip(window, now, source.topic(), source.partition(), offset);
      ahead |= !generation.isBefore(window);
    }
    clock.observe(event.timestampMs(), now);
  }

  private void punctuate(long now) {
    pacer.working();
    int partition = context.taskId().partition();
    long waiting = input.waiting(partition);
    // drained only once nothing is left to process, which the consumer's lag alone does not say
    long asOf = input.unprocessedAsOf(now);
    clock.look(now, input.unprocessed(partition, nextOffset), asOf);
    long stall = clock.takeStall();
    if (stall > 0) {
      LOG.info("The stream thread did not look at partition {} of {} for {} ms: records may have "
          + "arrived unseen, so its quiet time starts again", partition,
          settings.eventsTopic(), stall);
    }
    long quietFor = clock.quietFor();
    report(now, quietFor);
    if (clock.drained() && (asOf > drainedAsOfSent || clock.eventTime() > announced)) {
      // a new answer: the next stage learns as of when this partition had nothing left, and how
      // long it had been quiet by then
      batches.sendAll(); // no event may trail a watermark
      drainedAsOfSent = asOf;
      commits.owe(closes(clock.eventTime()));
      announced = Math.max(announced, clock.eventTime());
      announcedCaughtUp = true;
      context.forward(new Record<>(Watermark.KEY, Watermark.drained(partition, sources(),
          clock.eventTime(), asOf, quietFor), now));
      commits.commitIfOwed(announced, true);
      return;
    }
    announce(clock.eventTime(), false);
    if (waiting == 0 && !announcedCaughtUp && announced != Long.MIN_VALUE) {
      // caught up since the last announcement: the same watermark again, saying so
      forwardWatermark(announced, true);
      commits.commitIfOwed(announced, true);
    }
  }

  /** What this partition's clock says, for operators. */
  private void report(long now, long quietFor) {
    boolean drained = clock.drained();
    if (clock.eventTime() != Long.MIN_VALUE) {
      eventTimeGauge.record(clock.eventTime(), now);
    }
    drainedGauge.record(drained ? 1 : 0, now);
    quietGauge.record(quietFor, now);
    board.input(new ClockBoard.InputClock(context.taskId().partition(), clock.eventTime(), drained,
        drained ? clock.drainedSince() : Long.MIN_VALUE, quietFor, nextOffset, now));
  }

  private int sources() {
    return Math.max(settings.inputPartitions(), input.partitions());
  }

  /**
   * Sends the watermark to every aggregating partition. On the record path only when it closes another
   * window, since sending one per record would multiply the shuffle's traffic.
   */
  private void announce(long watermark, boolean onlyIfClosing) {
    if (watermark == Long.MIN_VALUE || watermark <= announced) {
      return;
    }
    boolean closing = closes(watermark);
    if (onlyIfClosing && !closing) {
      return;
    }
    announced = watermark;
    boolean caughtUp = input.waiting(context.taskId().partition()) == 0;
    forwardWatermark(watermark, caughtUp);
    commits.owe(closing);
    commits.commitIfOwed(watermark, caughtUp);
  }

  /** Whether this partition's clock at {@code watermark} closes a window its last one did not. */
  private boolean closes(long watermark) {
    Windows windows = settings.windows();
    return watermark != Long.MIN_VALUE && (announced == Long.MIN_VALUE
        || windows.firstOpenStart(watermark) != windows.firstOpenStart(announced));
  }

  /** Sends the batches, then the watermark: no event may trail a watermark that promised past it. */
  private void forwardWatermark(long watermark, boolean caughtUp) {
    batches.sendAll();
    announcedCaughtUp = caughtUp;
    context.forward(new Record<>(Watermark.KEY,
        Watermark.at(context.taskId().partition(), sources(), watermark, caughtUp), watermark));
  }

  @Override
  public void close() {
    board.removeInput(context.taskId().partition());
    metrics.close();
  }
}
