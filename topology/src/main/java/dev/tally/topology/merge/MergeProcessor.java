package dev.tally.topology.merge;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.schema.RangeCount;
import dev.tally.schema.RangeKey;
import dev.tally.topology.TallyMetrics;
import dev.tally.topology.ThrottledLog;
import dev.tally.topology.TopologySettings;
import dev.tally.topology.commit.CommitPacer;
import dev.tally.topology.commit.CommitPacers;
import dev.tally.topology.commit.LiveCommit;
import dev.tally.topology.compat.CommitHook;
import dev.tally.topology.time.LowWatermark;
import dev.tally.topology.time.Windows;
import dev.tally.topology.wire.BySeries;
import dev.tally.topology.wire.Partial;
import dev.tally.topology.wire.StoreKeys;
import dev.tally.topology.wire.UserHashes;
import dev.tally.topology.wire.Watermark;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 3, one task per by-series partition: adds up the partials of all aggregating partitions per
 * (window, series). A window is final once every aggregating partition's watermark has passed its end
 * plus grace: then exactly one final result goes out and the window is forgotten. Changed open windows
 * go out as live updates at most every {@code liveIntervalMs}.
 *
 * <p>When a ranges topic is set, it also counts each series' distinct users per UTC hour and day from
 * the closed windows' user hashes ({@link Ranges}), and emits one {@link RangeCount} per series and
 * hour or day once all of its windows are final.
 *
 * <p>Only windows of this application's {@link Generation} are emitted: the input stage already skips
 * the others' events, but state counted before the boundary was set may hold some, and another
 * generation emits those windows. They are withheld, counted and logged.
 */
public final class MergeProcessor
    implements Processor<byte[], BySeries, SpecificRecord, SpecificRecord> {

  /** {@code window | series | source}: the latest partial of each aggregating partition. */
  public static final String PARTIALS_STORE = "merge-partials";
  /** Tells the commit pacer when a commit starts. */
  public static final String COMMIT_HOOK_STORE = "merge-commit-hook";
  /** The aggregating partitions' watermarks. */
  public static final String WATERMARKS_STORE = "merge-watermarks";
  /** {@code unit | start | series}: the distinct users of open hours and days ({@link Ranges}). */
  public static final String RANGES_STORE = "merge-ranges";

  private static final Logger LOG = LoggerFactory.getLogger(MergeProcessor.class);
  private static final BytesSerializer PREFIX = new BytesSerializer();

  private final TopologySettings settings;
  private final Windows windows;
  private final Set<Bytes> changed = new LinkedHashSet<>();
  private final ThrottledLog<Boolean> withheldLog = new ThrottledLog<>(10_000);
  private ProcessorContext<SpecificRecord, SpecificRecord> context;
  private TallyMetrics metrics;
  private Sensor finalized;
  private Sensor finalDelay;
  private Sensor withheld;
  private KeyValueStore<Bytes, byte[]> partials;
  /** The open hours and days, or null when no ranges topic is set. */
  private Ranges ranges;
  private LowWatermark watermark;
  /** When to commit: at once after finals or live updates, if due. */
  private LiveCommit commits;
  private final CommitPacers pacers;
  private CommitPacer pacer;

  public MergeProcessor(TopologySettings settings, CommitPacers pacers) {
    this.settings = settings;
    this.pacers = pacers;
    this.windows = settings.windows();
  }

  @Override
  public void init(ProcessorContext<SpecificRecord, SpecificRecord> context) {
    this.context = context;
    this.metrics = new TallyMetrics(context);
    this.finalized = metrics.counter(TallyMetrics.WINDOWS_FINALIZED, null, null);
    this.finalDelay = metrics.averageAndMax(TallyMetrics.FINAL_DELAY);
    this.withheld = metrics.counter(TallyMetrics.RESULTS_WITHHELD, null, null);
    this.partials = context.getStateStore(PARTIALS_STORE);
    this.ranges = settings.rangesTopic().isEmpty() ? null
        : new Ranges(context.getStateStore(RANGES_STORE));
    this.pacer = pacers.forCurrentThread();
    this.commits = new LiveCommit(context, pacer);
    // inside the commit: tell the pacer that one started, and write the changed ranges
    CommitHook hook = context.getStateStore(COMMIT_HOOK_STORE);
    hook.beforeCommit(() -> {
      pacer.flushing();
      if (ranges != null) {
        ranges.flush();
      }
    });
    this.watermark = new LowWatermark(context.getStateStore(WATERMARKS_STORE),
        settings.aggregationPartitions(), context.currentSystemTimeMs());
    context.schedule(Duration.ofMillis(settings.liveIntervalMs()), PunctuationType.WALL_CLOCK_TIME,
        now -> emitChanged());
  }

  @Override
  public void process(Record<byte[], BySeries> record) {
    pacer.working();
    if (record.value() instanceof Partial partial) {
      merge(partial);
    } else if (record.value() instanceof UserHashes users) {
      addUsers(users);
    } else if (record.value() instanceof Watermark upstream) {
      Long before = watermark.advance(upstream, context.currentSystemTimeMs());
      if (before != null) {
        close(before, watermark.current());
      }
      commits.commitIfOwed(watermark.current(), watermark.caughtUp());
    }
  }

  private void merge(Partial partial) {
    if (windows.isClosed(partial.windowStart(), watermark.current())) {
      // cannot happen while every stage keeps its order: each partition sends its partials before the
      // watermark that closes their window
      LOG.error("Dropping a partial for a window that is already final. product=[{}] event_type=[{}] "
              + "window=[{}] source=[{}]", partial.product(), partial.eventType(),
          Instant.ofEpochMilli(partial.windowStart()), partial.source());
      return;
    }
    byte[] series = StoreKeys.series(partial.product(), partial.eventType());
    partials.put(StoreKeys.windowSeriesSource(partial.windowStart(), series, partial.source()),
        StoreKeys.counts(partial.count(), partial.uniqueUsers()));
    changed.add(StoreKeys.windowSeries(partial.windowStart(), series));
  }

  /** Adds a closed window's users to its hour and day (only this generation's windows count). */
  private void addUsers(UserHashes users) {
    if (ranges == null || !settings.generation().owns(users.windowStart())) {
      return;
    }
    if (windows.isClosed(users.windowStart(), watermark.current())) {
      // as for partials: each aggregating partition sends them before the watermark that closes
      LOG.error("Dropping the users of a window that is already final. product=[{}] "
              + "event_type=[{}] window=[{}] source=[{}]", users.product(), users.eventType(),
          Instant.ofEpochMilli(users.windowStart()), users.source());
      return;
    }
    ranges.add(users, StoreKeys.series(users.product(), users.eventType()));
  }

  /**
   * Emits one final result per (window, series) that the watermark's advance closed, then the hours
   * and days whose windows are all final.
   */
  private void close(long before, long now) {
    long from = before == Long.MIN_VALUE ? 0 : windows.firstOpenStart(before);
    long to = windows.firstOpenStart(now);
    if (to <= from) {
      return;
    }
    List<Bytes> done = new ArrayList<>();
    byte[] group = null;
    long count = 0;
    long unique = 0;
    try (KeyValueIterator<Bytes, byte[]> closed =
        partials.range(StoreKeys.windowBound(from), StoreKeys.windowBound(to))) {
      while (closed.hasNext()) {
        KeyValue<Bytes, byte[]> entry = closed.next();
        byte[] key = entry.key.get();
        byte[] windowSeries = Arrays.copyOf(key, key.length - Integer.BYTES);
        if (group != null && !Arrays.equals(group, windowSeries)) {
          emit(Bytes.wrap(group), count, unique, true);
          count = 0;
          unique = 0;
        }
        group = windowSeries;
        count += StoreKeys.countOf(entry.value);
        unique += StoreKeys.uniqueOf(entry.value);
        done.add(entry.key);
      }
    }
    if (group != null) {
      emit(Bytes.wrap(group), count, unique, true);
    }
    done.forEach(partials::delete);
    changed.removeIf(key -> StoreKeys.windowOf(key) < to);
    commits.owe(true);
    if (ranges != null) {
      ranges.closeBefore(to).forEach(this::emitRange);
    }
  }

  private void emitRange(Ranges.Range range) {
    String[] names = StoreKeys.productAndEventType(range.series());
    Instant start = Instant.ofEpochMilli(range.startMs());
    long now = context.currentSystemTimeMs();
    RangeKey key = new RangeKey(names[0], names[1], range.unit().code, start);
    RangeCount value = new RangeCount(names[0], names[1], range.unit().code, start,
        start.plusMillis(range.unit().lengthMs), range.users().uniqueUsers(),
        range.users().isExact(), Instant.ofEpochMilli(now));
    context.forward(new Record<>(key, value, now));
  }

  private void emitChanged() {
    pacer.working();
    boolean emitted = !changed.isEmpty();
    for (Iterator<Bytes> it = changed.iterator(); it.hasNext(); ) {
      Bytes windowSeries = it.next();
      long count = 0;
      long unique = 0;
      try (KeyValueIterator<Bytes, byte[]> sources = partials.prefixScan(windowSeries, PREFIX)) {
        while (sources.hasNext()) {
          byte[] value = sources.next().value;
          count += StoreKeys.countOf(value);
          unique += StoreKeys.uniqueOf(value);
        }
      }
      emit(windowSeries, count, unique, false);
      it.remove();
    }
    if (emitted) { // a live stream's live updates need not wait for the interval either
      commits.commitIfDue(watermark.current(), watermark.caughtUp());
    }
  }

  private void emit(Bytes windowSeries, long count, long unique, boolean isFinal) {
    long window = StoreKeys.windowOf(windowSeries);
    String[] names = StoreKeys.productAndEventType(StoreKeys.seriesOf(windowSeries));
    if (!settings.generation().owns(window)) {
      withheld.record(1);
      long leftOut = withheldLog.admit(isFinal, context.currentSystemTimeMs());
      if (leftOut < 0) {
        return;
      }
      LOG.warn("Withholding a result of a window another generation owns: its events were counted "
              + "here before the boundary was set, and are missing from that generation's result "
              + "unless it read them too. product=[{}] event_type=[{}] window=[{}] count=[{}] "
              + "final=[{}] generation=[{}]{}",
          names[0], names[1], Instant.ofEpochMilli(window), count, isFinal, settings.generation(),
          ThrottledLog.leftOut(leftOut));
      return;
    }
    long now = context.currentSystemTimeMs();
    MinuteKey key = new MinuteKey(names[0], names[1], Instant.ofEpochMilli(window));
    MinuteCount value = new MinuteCount(names[0], names[1], Instant.ofEpochMilli(window),
        Instant.ofEpochMilli(windows.endOf(window)), count, unique, isFinal, Instant.ofEpochMilli(now));
    context.forward(new Record<>(key, value, now));
    if (isFinal) {
      finalized.record(1);
      finalDelay.record(now - windows.endOf(window));
    }
  }

  @Override
  public void close() {
    metrics.close();
  }
}
