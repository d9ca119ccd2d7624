package dev.tally.topology.merge;

import dev.tally.topology.wire.UserHashes;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The merging stage's distinct users per series over UTC hours and days: each closed window's user
 * hashes (from every aggregating partition) go into a {@link RangeSketch} of the hour and of the day
 * its start lies in, and an hour or day is final once every window in it is. The sketches live in a
 * logged store keyed {@code unit | start | series}, written inside each commit ({@link #flush()}),
 * so they survive fail-over exactly once; adding a window's hashes twice changes nothing.
 */
final class Ranges {

  /** The lengths counted, with the name each has on the ranges topic and in InfluxDB. */
  enum Unit {
    HOUR('h', "1h", 3_600_000L),
    DAY('d', "1d", 86_400_000L);

    final byte tag;
    final String code;
    final long lengthMs;

    Unit(char tag, String code, long lengthMs) {
      this.tag = (byte) tag;
      this.code = code;
      this.lengthMs = lengthMs;
    }

    long startOf(long timeMs) {
      return Math.floorDiv(timeMs, lengthMs) * lengthMs;
    }
  }

  /** One final hour or day of one series. */
  record Range(Unit unit, long startMs, byte[] series, RangeSketch users) {
  }

  private final KeyValueStore<Bytes, byte[]> store;
  /** The sketches changed since the last {@link #flush()}, decoded; the store has the others. */
  private final Map<Bytes, RangeSketch> changed = new HashMap<>();

  Ranges(KeyValueStore<Bytes, byte[]> store) {
    this.store = store;
  }

  /** Adds a closed window's users of one aggregating partition to its hour and day. */
  void add(UserHashes users, byte[] series) {
    for (Unit unit : Unit.values()) {
      Bytes key = key(unit, unit.startOf(users.windowStart()), series);
      RangeSketch sketch = changed.get(key);
      if (sketch == null) {
        byte[] stored = store.get(key);
        sketch = stored == null ? RangeSketch.empty() : RangeSketch.read(stored);
        changed.put(key, sketch);
      }
      sketch.add(users.hashes());
    }
  }

  /** Writes the changed sketches to the store: inside each commit, so once per key and commit. */
  void flush() {
    changed.forEach((key, sketch) -> store.put(key, sketch.bytes()));
    changed.clear();
  }

  /**
   * Takes out every hour and day whose windows all start before {@code firstOpenWindow}: they are
   * final, and forgotten here.
   */
  List<Range> closeBefore(long firstOpenWindow) {
    flush();
    List<Range> closed = new ArrayList<>();
    for (Unit unit : Unit.values()) {
      // final when start + length <= firstOpenWindow
      long lastFinalStart = firstOpenWindow - unit.lengthMs;
      if (lastFinalStart < 0) {
        continue;
      }
      List<Bytes> done = new ArrayList<>();
      try (KeyValueIterator<Bytes, byte[]> finals = store.range(bound(unit, 0),
          bound(unit, lastFinalStart + 1))) {
        while (finals.hasNext()) {
          KeyValue<Bytes, byte[]> entry = finals.next();
          ByteBuffer key = ByteBuffer.wrap(entry.key.get());
          key.get();
          long start = key.getLong();
          byte[] series = new byte[key.remaining()];
          key.get(series);
          closed.add(new Range(unit, start, series, RangeSketch.read(entry.value)));
          done.add(entry.key);
        }
      }
      done.forEach(store::delete);
    }
    return closed;
  }

  private static Bytes key(Unit unit, long startMs, byte[] series) {
    return Bytes.wrap(ByteBuffer.allocate(1 + Long.BYTES + series.length).put(unit.tag)
        .putLong(startMs).put(series).array());
  }

  /** The smallest key of {@code unit} at {@code startMs}: the range's bound, series aside. */
  private static Bytes bound(Unit unit, long startMs) {
    return Bytes.wrap(ByteBuffer.allocate(1 + Long.BYTES).put(unit.tag).putLong(startMs).array());
  }
}
