package dev.tally.topology.aggregate;

import dev.tally.decode.BadInputReason;
import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.topology.DeadLetters;
import dev.tally.topology.TallyMetrics;
import dev.tally.topology.TopologySettings;
import dev.tally.topology.commit.CommitPacer;
import dev.tally.topology.commit.CommitPacers;
import dev.tally.topology.commit.LiveCommit;
import dev.tally.topology.compat.CommitHook;
import dev.tally.topology.time.ClockBoard;
import dev.tally.topology.time.HoldBack;
import dev.tally.topology.time.LowWatermark;
import dev.tally.topology.time.Windows;
import dev.tally.topology.wire.ByUser;
import dev.tally.topology.wire.DeadLetter;
import dev.tally.topology.wire.EventBatch;
import dev.tally.topology.wire.Partial;
import dev.tally.topology.wire.Routed;
import dev.tally.topology.wire.StoreKeys;
import dev.tally.topology.wire.UserHashes;
import dev.tally.topology.wire.Watermark;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 2, one task per by-user partition: counts events and distinct users per (window, series) for
 * the users that live in this partition. Since every user lives in exactly one partition, the counts of
 * all partitions add up to the exact answer in stage 3.
 *
 * <p>Per event it does one lookup of the (window, series) tally from the batch's bytes in place, one
 * increment and one set insertion in memory, whatever the number of users already in the window; the
 * changelog gets one record per changed (window, series) per commit ({@link Tallies}). Windows
 * close on the {@link LowWatermark} of the input partitions; an event for a closed window goes to the
 * dead-letter topic as {@code late}. On close, the final partial of every series of the window goes
 * downstream, followed by this partition's own watermark; meanwhile changed partials go downstream at
 * most every {@code liveIntervalMs}.
 */
public final class AggregateProcessor implements Processor<byte[], ByUser, byte[], Routed> {

  private static final Logger LOG = LoggerFactory.getLogger(AggregateProcessor.class);
  /** How long one input partition may hold windows back before a log line names it. */
  static final long HELD_LOG_MS = 60_000;

  /** {@code window | series}: count and distinct users. */
  public static final String TALLIES_STORE = "aggregate-tallies";
  /** The input partitions' watermarks. */
  public static final String WATERMARKS_STORE = "aggregate-watermarks";
  /** Writes the changed tallies' batches inside each commit. */
  public static final String COMMIT_HOOK_STORE = "aggregate-commit-hook";

  private final TopologySettings settings;
  private final Windows windows;
  private final ClockBoard board;
  /** The input partition that alone keeps windows open, and since when. */
  private HoldBack holdBack;
  private Sensor lowGauge;
  private Sensor heldByGauge;
  private Sensor heldForGauge;
  /** Tallies changed since the last live update (a flag on each, no hash lookup per event). */
  private final List<Tallies.Tally> changed = new ArrayList<>();
  private ProcessorContext<byte[], Routed> context;
  private TallyMetrics metrics;
  private DeadLetters deadLetters;
  private Tallies tallies;
  private LowWatermark watermark;
  /** When to commit: at once after closing windows or sending live updates, if due. */
  private LiveCommit commits;
  /** What this partition's latest watermark said of its input. */
  private boolean forwardedCaughtUp;
  private final CommitPacers pacers;
  private CommitPacer pacer;
  private CommitHook commitHook;

  public AggregateProcessor(TopologySettings settings, ClockBoard board, CommitPacers pacers) {
    this.settings = settings;
    this.pacers = pacers;
    this.windows = settings.windows();
    this.board = board;
  }

  @Override
  public void init(ProcessorContext<byte[], Routed> context) {
    this.context = context;
    changed.clear(); // after a dirty close the tallies are loaded anew
    forwardedCaughtUp = false;
    this.metrics = new TallyMetrics(context);
    this.deadLetters = new DeadLetters(context, metrics);
    // the store holds the changelog's batches, restored before init; the tallies are built from them
    KeyValueStore<Bytes, byte[]> changelog = context.getStateStore(TALLIES_STORE);
    this.tallies = new Tallies(changelog::put);
    try (KeyValueIterator<Bytes, byte[]> batches = changelog.all()) {
      tallies.load(batches);
    }
    this.pacer = pacers.forCurrentThread();
    this.commits = new LiveCommit(context, pacer);
    this.commitHook = context.getStateStore(COMMIT_HOOK_STORE);
    commitHook.beforeCommit(() -> {
      pacer.flushing();
      tallies.flush();
    });
    this.watermark = new LowWatermark(context.getStateStore(WATERMARKS_STORE),
        settings.inputPartitions(), context.currentSystemTimeMs());
    this.holdBack = new HoldBack(HELD_LOG_MS);
    this.lowGauge = metrics.gauge(TallyMetrics.LOW_WATERMARK);
    this.heldByGauge = metrics.gauge(TallyMetrics.HELD_BACK_BY);
    this.heldForGauge = metrics.gauge(TallyMetrics.HELD_BACK_MS);
    context.schedule(Duration.ofMillis(settings.liveIntervalMs()), PunctuationType.WALL_CLOCK_TIME,
        now -> {
          emitChanged();
          report(now);
        });
  }

  @Override
  public void process(Record<byte[], ByUser> record) {
    pacer.working();
    context.recordMetadata().ifPresent(source -> commitHook.lastRecord(source.topic(),
        source.partition(), source.offset(), record.timestamp()));
    if (record.value() instanceof EventBatch batch) {
      for (EventBatch.Cursor event = batch.cursor(); event.next(); ) {
        count(batch, event);
      }
    } else if (record.value() instanceof Watermark upstream) {
      Long before = watermark.advance(upstream, context.currentSystemTimeMs());
      if (before != null) {
        close(before, watermark.current());
      } else if (watermark.caughtUp() != forwardedCaughtUp && watermark.current() != Long.MIN_VALUE) {
        forwardWatermark(watermark.current()); // the next stage learns whether its input caught up
      }
      commits.commitIfOwed(watermark.current(), watermark.caughtUp());
    }
  }

  private void count(EventBatch batch, EventBatch.Cursor event) {
    long window = windows.startOf(event.timestampMs());
    if (windows.isClosed(window, watermark.current())) {
      late(batch, event, window);
      return;
    }
    Tallies.Tally tally = tallies.add(window, event.array(), event.seriesOffset(),
        event.seriesLength(), event.array(), event.usernameOffset(), event.usernameLength());
    if (!tally.liveQueued) {
      tally.liveQueued = true;
      changed.add(tally);
    }
  }

  private void late(EventBatch batch, EventBatch.Cursor event, long window) {
    String[] series = StoreKeys.productAndEventType(event.series());
    byte[] payload = EventDecoder.encodeAvro(new UserEvent(series[0], series[1], event.username(),
        event.timestampNs()));
    String message = "event at " + Instant.ofEpochMilli(event.timestampMs()) + " is for window ["
        + Instant.ofEpochMilli(window) + ", " + Instant.ofEpochMilli(windows.endOf(window))
        + "), closed at watermark " + Instant.ofEpochMilli(watermark.current()) + " (grace "
        + windows.graceMs() + " ms)";
    deadLetters.send(event.usernameBytes(), new DeadLetter(BadInputReason.LATE, message, payload,
        settings.eventsTopic(), batch.source(), event.offset()));
  }

  /** Emits the final partials of the windows that the watermark's advance closed, then forgets them. */
  private void close(long before, long now) {
    long from = before == Long.MIN_VALUE ? 0 : windows.firstOpenStart(before);
    long to = windows.firstOpenStart(now);
    if (to > from) {
      tallies.closeBefore(to, (windowSeries, tally) -> {
        tally.liveQueued = false; // the final is the last update
        forwardPartial(windowSeries, tally);
        if (!settings.usersTopic().isEmpty()) {
          forwardUsers(windowSeries, tally);
        }
      });
    }
    forwardWatermark(now);
    commits.owe(to > from);
  }

  /** This partition's watermark: caught up when every upstream partition's latest one was. */
  private void forwardWatermark(long at) {
    forwardedCaughtUp = watermark.caughtUp();
    context.forward(new Record<>(Watermark.KEY, Watermark.at(context.taskId().partition(),
        settings.aggregationPartitions(), at, forwardedCaughtUp), at));
  }

  private void emitChanged() {
    pacer.working();
    boolean emitted = false;
    for (Tallies.Tally tally : changed) {
      if (tally.liveQueued) {
        tally.liveQueued = false;
        forwardPartial(tally.windowSeries(), tally);
        emitted = true;
      }
    }
    changed.clear();
    if (emitted) { // a live stream's live updates need not wait for the interval either
      commits.commitIfDue(watermark.current(), watermark.caughtUp());
    }
  }

  /**
   * Which input partition holds windows back, for operators ({@link HoldBack}). One that does so for
   * more than {@value #HELD_LOG_MS} ms is logged once (by aggregating partition 0, since every
   * aggregating partition sees the same clocks), and again when it lets go.
   */
  private void report(long now) {
    long low = watermark.current();
    HoldBack.Change change = holdBack.observe(now, HoldBack.holder(watermark, windows));
    int heldBy = holdBack.heldBy();
    long clock = heldBy >= 0 ? watermark.clockOf(heldBy) : Long.MIN_VALUE;
    if (context.taskId().partition() == 0) {
      if (change == HoldBack.Change.RELEASED) {
        LOG.info("Input partition {} of {} no longer holds windows back (after {} s)",
            holdBack.released(), settings.eventsTopic(), holdBack.releasedAfterMs() / 1000);
      } else if (change == HoldBack.Change.HELD_LONG) {
        LOG.info("Input partition {} of {} has held windows back for {} s: its clock is at {}, the "
                + "other partitions' at {} or later; windows from {} wait for it (drained, it would "
                + "let them close: see GET /tasks)", heldBy, settings.eventsTopic(),
            (now - holdBack.sinceMs()) / 1000, instant(clock),
            instant(watermark.lowestWithout(heldBy)), instant(windows.firstOpenStart(low)));
      }
    }
    if (low != Long.MIN_VALUE) {
      lowGauge.record(low, now);
    }
    heldByGauge.record(heldBy, now);
    heldForGauge.record(heldBy >= 0 ? now - holdBack.sinceMs() : 0, now);
    board.low(new ClockBoard.Low(context.taskId().partition(), low, heldBy,
        heldBy >= 0 ? holdBack.sinceMs() : Long.MIN_VALUE, clock));
  }

  private static Object instant(long ms) {
    return ms == Long.MIN_VALUE ? "unknown" : Instant.ofEpochMilli(ms);
  }

  private void forwardPartial(Bytes windowSeries, Tallies.Tally tally) {
    byte[] series = StoreKeys.seriesOf(windowSeries);
    String[] names = StoreKeys.productAndEventType(series);
    Partial partial = new Partial(context.taskId().partition(), names[0], names[1],
        StoreKeys.windowOf(windowSeries), tally.count(), tally.uniqueUsers());
    context.forward(new Record<>(series, partial, context.currentSystemTimeMs()));
  }

  /** The closed window's users of this partition, for the users topic. */
  private void forwardUsers(Bytes windowSeries, Tallies.Tally tally) {
    byte[] series = StoreKeys.seriesOf(windowSeries);
    String[] names = StoreKeys.productAndEventType(series);
    UserHashes users = new UserHashes(context.taskId().partition(), names[0], names[1],
        StoreKeys.windowOf(windowSeries), tally.userHashes());
    context.forward(new Record<>(series, users, context.currentSystemTimeMs()));
  }

  @Override
  public void close() {
    board.removeLow(context.taskId().partition());
    metrics.close();
  }
}
