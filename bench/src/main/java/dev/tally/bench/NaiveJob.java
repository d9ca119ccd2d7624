package dev.tally.bench;

import dev.tally.decode.Decoded;
import dev.tally.decode.EventDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;

/**
 * The job a user writes first: group by series, a windowed aggregate of the set of usernames, suppress
 * until the window closes. Its output value is "count,unique". Event time comes from the record
 * timestamp, which the benchmark sets to the event's time.
 */
final class NaiveJob {

  private NaiveJob() {
  }

  static Topology topology(String events, String output, long windowMs, long graceMs) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(events, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .flatMap((key, value) -> {
          Decoded decoded = new EventDecoder().decode(value, 0);
          return decoded.events().stream()
              .map(e -> KeyValue.pair(e.product() + "|" + e.eventType(), e.username())).toList();
        })
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(windowMs), Duration.ofMillis(graceMs)))
        .aggregate(UserSet::new, (series, user, set) -> set.add(user),
            Materialized.with(Serdes.String(), UserSet.SERDE))
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream()
        .map((window, set) -> KeyValue.pair(window.key() + "|" + window.window().start(),
            set.count + "," + set.users.size()))
        .to(output, Produced.with(Serdes.String(), Serdes.String()));
    return builder.build();
  }

  /** The naive state: every user of the window, re-serialized whole on every event. */
  static final class UserSet {
    static final Serde<UserSet> SERDE = Serdes.serdeFrom(
        (topic, set) -> set.bytes(), (topic, bytes) -> UserSet.of(bytes));

    long count;
    final Set<String> users = new HashSet<>();

    UserSet add(String user) {
      count++;
      users.add(user);
      return this;
    }

    byte[] bytes() {
      byte[][] names = new byte[users.size()][];
      int size = Long.BYTES + Integer.BYTES;
      int i = 0;
      for (String user : users) {
        names[i] = user.getBytes(StandardCharsets.UTF_8);
        size += Integer.BYTES + names[i++].length;
      }
      ByteBuffer buffer = ByteBuffer.allocate(size).putLong(count).putInt(names.length);
      for (byte[] name : names) {
        buffer.putInt(name.length).put(name);
      }
      return buffer.array();
    }

    static UserSet of(byte[] bytes) {
      UserSet set = new UserSet();
      if (bytes == null) {
        return set;
      }
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      set.count = buffer.getLong();
      int n = buffer.getInt();
      for (int i = 0; i < n; i++) {
        byte[] name = new byte[buffer.getInt()];
        buffer.get(name);
        set.users.add(new String(name, StandardCharsets.UTF_8));
      }
      return set;
    }
  }

}
