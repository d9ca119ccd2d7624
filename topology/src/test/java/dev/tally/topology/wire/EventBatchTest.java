package dev.tally.topology.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

class EventBatchTest {

  private static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  private static EventBatch twoEvents() {
    EventBatch.Builder builder = new EventBatch.Builder(3);
    builder.add(1478507534415525888L, 41, utf8("live|rails-5xx"), utf8("testusername1"));
    builder.add(-5L, Long.MAX_VALUE, utf8(""), utf8("naïve"));
    return builder.build(7);
  }

  @Test
  void crossesTheShuffleAndReadsBackEventByEvent() {
    byte[] wire = InternalSerdes.byUser().serializer().serialize("t", twoEvents());
    EventBatch batch = (EventBatch) InternalSerdes.byUser().deserializer().deserialize("t", wire);
    assertEquals(7, batch.source());
    assertEquals(3, batch.destination());
    assertEquals(2, batch.count());

    EventBatch.Cursor cursor = batch.cursor();
    assertTrue(cursor.next());
    assertEquals(1478507534415525888L, cursor.timestampNs());
    assertEquals(1478507534415L, cursor.timestampMs());
    assertEquals(41, cursor.offset());
    assertArrayEquals(utf8("live|rails-5xx"), cursor.series());
    assertArrayEquals(utf8("live|rails-5xx"), Arrays.copyOfRange(cursor.array(),
        cursor.seriesOffset(), cursor.seriesOffset() + cursor.seriesLength()));
    assertEquals("testusername1", cursor.username());
    assertTrue(cursor.next());
    assertEquals(-1, cursor.timestampMs(), "floor, not truncation, before the epoch");
    assertEquals(Long.MAX_VALUE, cursor.offset());
    assertEquals(0, cursor.seriesLength());
    assertEquals("naïve", cursor.username());
    assertFalse(cursor.next());
    assertEquals(1478507534415L, batch.maxTimestampMs());
  }

  @Test
  void theBuilderStartsAfreshAfterEachBatch() {
    EventBatch.Builder builder = new EventBatch.Builder(0);
    builder.add(1, 1, utf8("s"), utf8("a"));
    assertFalse(builder.isEmpty());
    builder.build(0);
    assertTrue(builder.isEmpty());
    assertEquals(0, builder.size());
    builder.add(2, 2, utf8("s"), utf8("b"));
    EventBatch second = builder.build(0);
    assertEquals(1, second.count());
    EventBatch.Cursor cursor = second.cursor();
    assertTrue(cursor.next());
    assertEquals("b", cursor.username());
  }

  @Test
  void aCutOrPaddedBatchIsCorruptNotMisread() {
    byte[] events = twoEvents().bytes();
    EventBatch cut = new EventBatch(7, 3, 2, events, 0, events.length - 1);
    EventBatch.Cursor cutCursor = cut.cursor();
    assertTrue(cutCursor.next());
    assertThrows(IllegalArgumentException.class, cutCursor::next);

    byte[] padded = Arrays.copyOf(events, events.length + 1);
    EventBatch.Cursor paddedCursor = new EventBatch(7, 3, 2, padded, 0, padded.length).cursor();
    assertTrue(paddedCursor.next());
    assertTrue(paddedCursor.next());
    assertThrows(IllegalArgumentException.class, paddedCursor::next);

    assertThrows(IllegalArgumentException.class, () -> new EventBatch(0, 0, 1, events, 4, events.length));
  }

  @Test
  void aBatchGoesToItsPartitionAndAWatermarkToEvery() {
    ShufflePartitioner<ByUser> partitioner = new ShufflePartitioner<>();
    assertEquals(Optional.of(Set.of(3)), partitioner.partitions("t", Watermark.KEY, twoEvents(), 4));
    assertEquals(Optional.of(Set.of(0, 1, 2, 3)),
        partitioner.partitions("t", Watermark.KEY, Watermark.at(0, 1, 5), 4));
    assertThrows(IllegalStateException.class,
        () -> partitioner.partitions("t", Watermark.KEY, twoEvents(), 2));
  }

  @Test
  void aUsernameInPlaceGoesWhereKafkasPartitionerPutsItsCopy() {
    Random random = new Random(11L);
    for (int i = 0; i < 20_000; i++) {
      byte[] array = new byte[random.nextInt(40)];
      random.nextBytes(array);
      int from = array.length == 0 ? 0 : random.nextInt(array.length);
      int length = random.nextInt(array.length - from + 1);
      byte[] copy = Arrays.copyOfRange(array, from, from + length);
      assertEquals(Utils.murmur2(copy), ShufflePartitioner.murmur2(array, from, length));
      assertEquals(ShufflePartitioner.partitionOf(copy, 7),
          ShufflePartitioner.partitionOf(array, from, length, 7));
    }
  }

  @Test
  void aWatermarkCrossesBothShufflesWithWhetherItsSenderCaughtUp() {
    for (Watermark watermark : new Watermark[] {Watermark.at(2, 4, 1_478_507_534_415L, true),
        Watermark.at(2, 4, 1_478_507_534_415L, false), Watermark.drained(1, 4, Long.MIN_VALUE,
        1_765_000_000_000L, 3_000), Watermark.drained(3, 4, 1_478_507_534_415L,
        1_765_000_000_000L, -1)}) {
      byte[] byUser = InternalSerdes.byUser().serializer().serialize("t", watermark);
      assertEquals(watermark, InternalSerdes.byUser().deserializer().deserialize("t", byUser));
      byte[] bySeries = InternalSerdes.bySeries().serializer().serialize("t", watermark);
      assertEquals(watermark, InternalSerdes.bySeries().deserializer().deserialize("t", bySeries));
    }
    // watermarks of earlier versions: without the as-of time, one says nothing of draining;
    // without the caught-up byte too, nothing of its input
    byte[] drained = InternalSerdes.byUser().serializer().serialize("t",
        Watermark.drained(1, 4, 5, 7, 3_000));
    assertEquals(new Watermark(1, 4, 5, 3_000, true, Long.MIN_VALUE), InternalSerdes.byUser()
        .deserializer().deserialize("t", Arrays.copyOf(drained, drained.length - Long.BYTES)));
    byte[] caughtUp = InternalSerdes.byUser().serializer().serialize("t", Watermark.at(2, 4, 9, true));
    assertEquals(Watermark.at(2, 4, 9, false), InternalSerdes.byUser().deserializer()
        .deserialize("t", Arrays.copyOf(caughtUp, caughtUp.length - 1 - Long.BYTES)));
  }
}
