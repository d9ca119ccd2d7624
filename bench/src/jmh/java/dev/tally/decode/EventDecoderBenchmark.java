package dev.tally.decode;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link EventDecoder#decode} of one record holding one event, as the input stage calls it for
 * every record: Avro single-object encoding (what {@code tally produce} writes) or InfluxDB line
 * protocol (what the products send). The records cycle through 1,024 different events of 48
 * series and 500 users per series, like {@code tally bench}'s backlog. {@link #decode} builds the
 * event's Strings, as any reader would; {@link #decodeInPlace} hands its fields over as byte ranges
 * ({@link EventBytes}), as the input stage reads them. Run with {@code ./tally jmh}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EventDecoderBenchmark {

  private static final int RECORDS = 1024;
  private static final long START_NS = 1_478_507_534_415_525_888L;

  @Param({"avro", "line-protocol"})
  public String format;

  private final EventDecoder decoder = new EventDecoder();
  private byte[][] records;
  private int next;

  @Setup
  public void prepare() {
    Random random = new Random(42);
    records = new byte[RECORDS][];
    for (int i = 0; i < RECORDS; i++) {
      int series = random.nextInt(48);
      UserEvent event = new UserEvent("product-" + series % 6, "type-" + series,
          "user-" + series + "-" + random.nextInt(500), START_NS + i * 1_000_000L);
      records[i] = switch (format) {
        case "avro" -> EventDecoder.encodeAvro(event);
        case "line-protocol" -> ("event_type=" + event.eventType() + ",product=" + event.product()
            + " value=" + event.username() + " " + event.timestampNs()).getBytes(StandardCharsets.UTF_8);
        default -> throw new IllegalArgumentException("unknown format " + format);
      };
      // measure decoding, not rejecting
      Decoded decoded = decoder.decode(records[i], START_NS / 1_000_000L);
      if (decoded.events().size() != 1 || !decoded.events().get(0).equals(event)) {
        throw new IllegalStateException(format + " record " + i + " does not decode to " + event
            + ": " + decoded);
      }
    }
  }

  @Benchmark
  public Decoded decode() {
    return decoder.decode(records[next++ & (RECORDS - 1)], START_NS / 1_000_000L);
  }

  @Benchmark
  public Decoded decodeInPlace(Blackhole blackhole) {
    return decoder.decode(records[next++ & (RECORDS - 1)], START_NS / 1_000_000L,
        event -> blackhole.consume(event.usernameLength()));
  }
}
