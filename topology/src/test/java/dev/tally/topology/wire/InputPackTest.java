package dev.tally.topology.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class InputPackTest {

  private static ConsumerRecord<byte[], byte[]> record(long offset, long timestamp, byte[] key,
      byte[] value) {
    return new ConsumerRecord<>("events", 3, offset, timestamp, TimestampType.CREATE_TIME,
        key == null ? -1 : key.length, value == null ? -1 : value.length, key, value,
        new RecordHeaders(), Optional.of(7));
  }

  private static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  /** Every record of every pack, in order. */
  private static List<ConsumerRecord<byte[], byte[]>> unpack(List<ConsumerRecord<byte[], byte[]>> packs) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    InputPack.Reader reader = new InputPack.Reader();
    for (ConsumerRecord<byte[], byte[]> pack : packs) {
      reader.reset(pack.value());
      while (reader.next()) {
        records.add(record(reader.offset(), reader.timestamp(), reader.key(), reader.value()));
      }
    }
    return records;
  }

  private static void assertSameRecords(List<ConsumerRecord<byte[], byte[]>> expected,
      List<ConsumerRecord<byte[], byte[]>> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i).offset(), actual.get(i).offset(), "offset of record " + i);
      assertEquals(expected.get(i).timestamp(), actual.get(i).timestamp(), "timestamp of record " + i);
      assertArrayEquals(expected.get(i).key(), actual.get(i).key(), "key of record " + i);
      assertArrayEquals(expected.get(i).value(), actual.get(i).value(), "value of record " + i);
    }
  }

  @Test
  void recordsComeBackAsTheyWereWithNullsEmptiesGapsAndOddTimestamps() {
    List<ConsumerRecord<byte[], byte[]>> records = List.of(
        record(41, 1_478_507_534_415L, utf8("testusername1"), utf8("event_type=a,product=b value=c 1")),
        record(42, 1_478_507_534_000L, null, utf8("{}")),       // older than the one before
        record(45, -1, utf8(""), null),                          // offsets skipped (markers), no timestamp
        record(46, Long.MAX_VALUE, null, new byte[0]),
        record(Long.MAX_VALUE - 1, 0, new byte[] {(byte) 0xC3, 0x01}, new byte[] {(byte) 0xFF}));
    List<ConsumerRecord<byte[], byte[]>> packs = InputPack.pack(records);

    assertEquals(1, packs.size());
    ConsumerRecord<byte[], byte[]> pack = packs.get(0);
    assertEquals("events", pack.topic());
    assertEquals(3, pack.partition());
    assertEquals(41, pack.offset(), "a pack has its first record's offset");
    assertEquals(Long.MAX_VALUE, pack.timestamp(), "a pack has its newest record's timestamp");
    assertEquals(Optional.of(7), pack.leaderEpoch());
    assertNull(pack.key());
    assertEquals(pack.value().length, pack.serializedValueSize());
    assertSameRecords(records, unpack(packs));
  }

  @Test
  void manyRecordsSplitIntoPacksOfBoundedSizeEachAtItsFirstOffset() {
    Random random = new Random(20261201);
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    long offset = 1_000;
    for (int i = 0; i < 5_000; i++) {
      byte[] value = new byte[random.nextInt(200)];
      random.nextBytes(value);
      offset += 1 + (random.nextInt(10) == 0 ? random.nextInt(3) : 0);
      records.add(record(offset, 1_700_000_000_000L + random.nextInt(100_000),
          random.nextBoolean() ? null : utf8("user-" + i), value));
    }
    records.add(record(offset + 1, 5, null, new byte[3 * InputPack.MAX_BYTES])); // alone in a pack
    records.add(record(offset + 2, 6, null, utf8("after the big one")));

    List<ConsumerRecord<byte[], byte[]>> packs = InputPack.pack(records);

    assertTrue(packs.size() > 5, packs.size() + " packs");
    int next = 0;
    InputPack.Reader reader = new InputPack.Reader();
    for (ConsumerRecord<byte[], byte[]> pack : packs) {
      assertEquals(records.get(next).offset(), pack.offset(), "offset of a pack");
      boolean big = pack.value().length > InputPack.MAX_BYTES;
      reader.reset(pack.value());
      int inPack = 0;
      while (reader.next()) {
        inPack++;
      }
      assertTrue(!big || inPack == 1, "a record over the limit shares its pack");
      next += inPack;
    }
    assertEquals(records.size(), next);
    assertSameRecords(records, unpack(packs));
  }

  @Test
  void nothingToPackGivesNoPack() {
    assertEquals(List.of(), InputPack.pack(List.of()));
  }

  @Test
  void aCorruptPackIsRefusedNotMisread() {
    byte[] pack = InputPack.pack(List.of(record(1, 2, null, utf8("some value")))).get(0).value();
    InputPack.Reader reader = new InputPack.Reader();

    IllegalArgumentException cut = assertThrows(IllegalArgumentException.class,
        () -> reader.reset(Arrays.copyOf(pack, pack.length - 1)).next());
    assertTrue(cut.getMessage().contains("corrupt input pack"), cut.getMessage());
    assertThrows(IllegalArgumentException.class, () -> reader.reset(new byte[] {(byte) 0x80}).next());
    byte[] unending = new byte[12];
    Arrays.fill(unending, (byte) 0xFF);
    assertThrows(IllegalArgumentException.class, () -> reader.reset(unending).next());
    assertFalse(reader.reset(new byte[0]).next());
  }
}
