package dev.tally.bench;

import dev.tally.decode.EventDecoder;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The least a Kafka Streams job does with the events topic: decode each record (as the plain consumer
 * does) and count the events, with no state, no shuffle and no output. What it costs over the plain
 * consumer is Kafka Streams' own per-record path and its transactions: a ceiling for a Kafka Streams
 * job that takes the topic's records one by one, as Kafka Streams gives them. (Tally's input stage
 * does not: its consumers hand it the records in packs.)
 */
final class FloorJob {

  private FloorJob() {
  }

  /**
   * @param decoded counts the events decoded, for the benchmark to wait on (an adder: with several
   *     threads, one shared atomic counter would be a cost of the bench's own)
   */
  static Topology topology(String events, LongAdder decoded) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(events, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .process(() -> new Processor<byte[], byte[], Void, Void>() {
          private final EventDecoder decoder = new EventDecoder();

          @Override
          public void process(Record<byte[], byte[]> record) {
            decoded.add(decoder.decode(record.value(), record.timestamp()).events().size());
          }
        });
    return builder.build();
  }
}
