package dev.tally.topology.aggregate;

import dev.tally.topology.wire.StoreKeys;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.Bytes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The aggregating stage's per-event step, {@link Tallies#add}, and its per-commit step,
 * {@link Tallies#flush}, without Kafka Streams: the changelog is a sink that only counts bytes. Run
 * with {@code ./tally jmh}.
 *
 * <p>Events go to 48 series of one window; {@code newUsersPercent} of them come from a user new to
 * that (window, series), the others repeat one of its earlier users. Each event's series and user are
 * given as bytes in one array, as the aggregation reads them in place from a shuffle batch.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TalliesBenchmark {

  static final int SERIES = 48;
  /** Events per {@code add} invocation (a fresh store each): the result is per event. */
  static final int ADD_EVENTS = 100_000;
  /** Events added before each measured flush: about one commit interval of one task. */
  static final int COMMIT_EVENTS = 10_000;
  /**
   * Stores flushed per {@code flush} invocation: a young GC that lands in a ~100 µs flush
   * would otherwise make or break its sample; over ten, each pays its share.
   */
  static final int FLUSHES = 10;

  static final long WINDOW = 1_478_507_520_000L;

  /**
   * The event sequence: for each event an array holding its series bytes then its user's UTF-8
   * bytes, and the user's length.
   */
  @State(Scope.Thread)
  public static class Events {
    @Param({"10", "50"})
    public int newUsersPercent;

    byte[][] events;
    int[] seriesLengths;

    void generateEvents(int count) {
      Random random = new Random(42);
      byte[][] series = new byte[SERIES][];
      for (int s = 0; s < SERIES; s++) {
        series[s] = StoreKeys.series("product-" + s % 6, "type-" + s);
      }
      int[] seen = new int[SERIES];
      events = new byte[count][];
      seriesLengths = new int[count];
      for (int i = 0; i < count; i++) {
        int s = random.nextInt(SERIES);
        int user = seen[s] == 0 || random.nextInt(100) < newUsersPercent ? seen[s]++ : random.nextInt(seen[s]);
        byte[] name = ("user-" + s + "-" + user).getBytes(StandardCharsets.UTF_8);
        events[i] = new byte[series[s].length + name.length];
        System.arraycopy(series[s], 0, events[i], 0, series[s].length);
        System.arraycopy(name, 0, events[i], series[s].length, name.length);
        seriesLengths[i] = series[s].length;
      }
    }

    /** Counts event {@code i} in {@code store}, as the aggregating stage does. */
    void add(Tallies store, int i) {
      byte[] event = events[i];
      int seriesLength = seriesLengths[i];
      store.add(WINDOW, event, 0, seriesLength, event, seriesLength, event.length - seriesLength);
    }
  }

  /** An empty store and {@link #ADD_EVENTS} events for it. */
  @State(Scope.Thread)
  public static class ToAdd extends Events {
    Tallies store;

    @Setup(Level.Trial)
    public void generate() {
      generateEvents(ADD_EVENTS);
    }

    @Setup(Level.Invocation)
    public void reset() {
      store = new Tallies(new CountingSink());
    }
  }

  /** {@link #FLUSHES} stores, each holding one commit interval's events, none flushed yet. */
  @State(Scope.Thread)
  public static class ToFlush extends Events {
    final Tallies[] stores = new Tallies[FLUSHES];
    CountingSink sink;

    @Setup(Level.Trial)
    public void generate() {
      generateEvents(COMMIT_EVENTS);
    }

    @Setup(Level.Invocation)
    public void fill() {
      sink = new CountingSink();
      for (int f = 0; f < FLUSHES; f++) {
        stores[f] = new Tallies(sink);
        for (int i = 0; i < events.length; i++) {
          add(stores[f], i);
        }
      }
    }
  }

  /** Counts what would go to the changelog, so that nothing written can be optimised away. */
  static final class CountingSink implements Tallies.Changelog {
    long records;
    long bytes;

    @Override
    public void put(Bytes key, byte[] value) {
      records++;
      bytes += key.get().length + (value == null ? 0 : value.length);
    }
  }

  /** One event counted: the tally looked up from the bytes (or created), its count, its user set. */
  @Benchmark
  @OperationsPerInvocation(ADD_EVENTS)
  public Tallies add(ToAdd state) {
    Tallies store = state.store;
    for (int i = 0; i < state.events.length; i++) {
      state.add(store, i);
    }
    return store;
  }

  /** One commit's changelog batches: one record per dirty (window, series), its new users in it. */
  @Benchmark
  @OperationsPerInvocation(FLUSHES)
  public long flush(ToFlush state) {
    for (Tallies store : state.stores) {
      store.flush();
    }
    if (state.sink.records < (long) SERIES * FLUSHES) {
      throw new IllegalStateException("only " + state.sink.records + " batches written");
    }
    return state.sink.bytes;
  }
}
