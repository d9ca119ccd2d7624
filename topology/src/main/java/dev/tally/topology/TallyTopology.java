package dev.tally.topology;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.MinuteKey;
import dev.tally.schema.MinuteUsers;
import dev.tally.schema.RangeCount;
import dev.tally.schema.RangeKey;
import dev.tally.topology.aggregate.AggregateProcessor;
import dev.tally.topology.aggregate.Tallies;
import dev.tally.topology.commit.CommitPacers;
import dev.tally.topology.compat.CommitHook;
import dev.tally.topology.merge.MergeProcessor;
import dev.tally.topology.route.RouteProcessor;
import dev.tally.topology.time.ClockBoard;
import dev.tally.topology.time.InputState;
import dev.tally.topology.wire.BySeries;
import dev.tally.topology.wire.ByUser;
import dev.tally.topology.wire.DeadLetter;
import dev.tally.topology.wire.InternalSerdes;
import dev.tally.topology.wire.Routed;
import dev.tally.topology.wire.ShufflePartitioner;
import dev.tally.topology.wire.UserHashes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Tally's topology: exact per-window event counts and distinct users per (product, event_type).
 *
 * <pre>
 *  events ──route──▶ [by-user shuffle] ──aggregate──▶ [by-series shuffle] ──merge──▶ results
 *            │  decode, batch by user      │ count per user-partition      │ add up, finalize
 *            └─▶ dead letters              ├─▶ dead letters (late)
 *                                          └─▶ users (a closed window's user hashes)
 * </pre>
 *
 * <p>Every user's events meet in one by-user partition, so distinct counts of the partitions add up;
 * each stage passes its clock on as watermarks broadcast to all downstream partitions, and a window
 * closes at the minimum over all upstream partitions (the slowest input partition), so a backlog gives
 * exactly the answer live traffic gives. See {@link RouteProcessor}, {@link AggregateProcessor} and
 * {@link MergeProcessor}.
 */
public final class TallyTopology {

  private TallyTopology() {
  }

  /**
   * Adds Tally's topology to {@code builder}, taking every input partition as drained (no brokers to
   * ask), with the configured partition count.
   */
  public static void build(StreamsBuilder builder, TopologySettings settings) {
    build(builder, settings, InputState.TIME_ONLY, new ClockBoard(), CommitPacers.systemClock());
  }

  /** Adds Tally's topology to {@code builder}; the clocks are reported nowhere. */
  public static void build(StreamsBuilder builder, TopologySettings settings, InputState input) {
    build(builder, settings, input, new ClockBoard(), CommitPacers.systemClock());
  }

  /**
   * Adds Tally's topology to {@code builder}.
   *
   * @param input what this instance knows of the events topic: records waiting, partition count
   * @param board where the tasks report their clocks, for operators
   * @param pacers how often the stages may ask for a commit, per stream thread
   */
  public static void build(StreamsBuilder builder, TopologySettings settings, InputState input,
      ClockBoard board, CommitPacers pacers) {
    builder.addStateStore(CommitHook.builder(RouteProcessor.COMMIT_HOOK_STORE));
    builder.addStateStore(CommitHook.builder(AggregateProcessor.COMMIT_HOOK_STORE));
    builder.addStateStore(CommitHook.builder(MergeProcessor.COMMIT_HOOK_STORE));
    builder.addStateStore(talliesStore(AggregateProcessor.TALLIES_STORE));
    builder.addStateStore(clockStore(AggregateProcessor.WATERMARKS_STORE));
    builder.addStateStore(partialsStore(MergeProcessor.PARTIALS_STORE));
    builder.addStateStore(clockStore(MergeProcessor.WATERMARKS_STORE));
    if (!settings.rangesTopic().isEmpty()) {
      builder.addStateStore(talliesStore(MergeProcessor.RANGES_STORE));
    }

    KStream<byte[], Routed> routed = builder
        .stream(settings.eventsTopic(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
            .withName("events")
            .withTimestampExtractor(new UsePartitionTimeOnInvalidTimestamp()))
        .process(() -> new RouteProcessor(settings, input, board, pacers), Named.as("route"),
            RouteProcessor.COMMIT_HOOK_STORE);

    KStream<byte[], Routed> aggregated = withoutDeadLetters(routed, "route", settings)
        .mapValues(value -> (ByUser) value, Named.as("route-events"))
        .repartition(Repartitioned.with(Serdes.ByteArray(), InternalSerdes.byUser())
            .withName("by-user")
            .withNumberOfPartitions(settings.aggregationPartitions())
            .withStreamPartitioner(new ShufflePartitioner<>()))
        .process(() -> new AggregateProcessor(settings, board, pacers), Named.as("aggregate"),
            AggregateProcessor.TALLIES_STORE, AggregateProcessor.WATERMARKS_STORE,
            AggregateProcessor.COMMIT_HOOK_STORE);

    // the closed windows' users go to the users topic, and on to the merging stage for the ranges
    KStream<byte[], Routed> partials = withoutDeadLetters(aggregated, "aggregate", settings);
    if (!settings.usersTopic().isEmpty()) {
      partials.filter((key, value) -> value instanceof UserHashes, Named.as("aggregate-users"))
          .map((key, value) -> {
            UserHashes users = (UserHashes) value;
            Instant start = Instant.ofEpochMilli(users.windowStart());
            List<Long> hashes = new ArrayList<>(users.hashes().length);
            for (long hash : users.hashes()) {
              hashes.add(hash);
            }
            return KeyValue.pair(new MinuteKey(users.product(), users.eventType(), start),
                new MinuteUsers(users.product(), users.eventType(), start,
                    start.plusMillis(settings.windows().sizeMs()), users.source(), hashes));
          }, Named.as("aggregate-users-records"))
          .to(settings.usersTopic(),
              Produced.with(ResultSerdes.minuteKey(), ResultSerdes.minuteUsers()).withName("users"));
    }
    if (settings.rangesTopic().isEmpty()) {
      partials = partials.filterNot((key, value) -> value instanceof UserHashes,
          Named.as("aggregate-partials-only"));
    }
    KStream<SpecificRecord, SpecificRecord> merged = partials
        .mapValues(value -> (BySeries) value, Named.as("aggregate-partials"))
        .repartition(Repartitioned.with(Serdes.ByteArray(), InternalSerdes.bySeries())
            .withName("by-series")
            .withNumberOfPartitions(settings.aggregationPartitions())
            .withStreamPartitioner(new ShufflePartitioner<>()))
        .process(() -> new MergeProcessor(settings, pacers), Named.as("merge"), mergeStores(settings));
    if (settings.rangesTopic().isEmpty()) {
      results(merged, settings);
      return;
    }
    Map<String, KStream<SpecificRecord, SpecificRecord>> out = merged.split(Named.as("merge-"))
        .branch((key, value) -> value instanceof RangeCount, Branched.as("ranges"))
        .defaultBranch(Branched.as("results"));
    results(out.get("merge-results"), settings);
    out.get("merge-ranges")
        .map((key, value) -> KeyValue.pair((RangeKey) key, (RangeCount) value),
            Named.as("merge-range-records"))
        .to(settings.rangesTopic(),
            Produced.with(ResultSerdes.rangeKey(), ResultSerdes.rangeCount()).withName("ranges"));
  }

  private static String[] mergeStores(TopologySettings settings) {
    List<String> stores = new ArrayList<>(List.of(MergeProcessor.PARTIALS_STORE,
        MergeProcessor.WATERMARKS_STORE, MergeProcessor.COMMIT_HOOK_STORE));
    if (!settings.rangesTopic().isEmpty()) {
      stores.add(MergeProcessor.RANGES_STORE);
    }
    return stores.toArray(String[]::new);
  }

  /** The per-window results, to the results topic. */
  private static void results(KStream<SpecificRecord, SpecificRecord> merged,
      TopologySettings settings) {
    merged.map((key, value) -> KeyValue.pair((MinuteKey) key, (MinuteCount) value),
            Named.as("merge-result-records"))
        .to(settings.resultsTopic(),
            Produced.with(ResultSerdes.minuteKey(), ResultSerdes.minuteCount()).withName("results"));
  }

  /** Sends a stage's dead letters to the dead-letter topic and returns the rest. */
  private static KStream<byte[], Routed> withoutDeadLetters(KStream<byte[], Routed> stream,
      String stage, TopologySettings settings) {
    Map<String, KStream<byte[], Routed>> branches = stream.split(Named.as(stage + "-"))
        .branch((key, value) -> value instanceof DeadLetter, Branched.as("dead-letters"))
        .defaultBranch(Branched.as("next"));
    branches.get(stage + "-dead-letters")
        .mapValues(value -> ((DeadLetter) value).payload(), Named.as(stage + "-dead-letter-payload"))
        .to(settings.deadLetterTopic(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
            .withName(stage + "-dead-letter-topic"));
    return branches.get(stage + "-next");
  }

  private static StoreBuilder<KeyValueStore<Integer, Long>> clockStore(String name) {
    return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.Integer(),
        Serdes.Long()).withCachingEnabled();
  }

  /**
   * The aggregating stage's changelog batches ({@link Tallies}), and the merging stage's open hours
   * and days: in memory, logged, not cached, since their processors write each key at most once per
   * commit.
   */
  private static StoreBuilder<KeyValueStore<Bytes, byte[]>> talliesStore(String name) {
    return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.Bytes(),
        Serdes.ByteArray()).withCachingDisabled();
  }

  /**
   * An in-memory store with a changelog, cached, so that a partial updated many times between two
   * commits reaches the changelog once.
   */
  private static StoreBuilder<KeyValueStore<Bytes, byte[]>> partialsStore(String name) {
    return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.Bytes(),
        Serdes.ByteArray()).withCachingEnabled();
  }
}
