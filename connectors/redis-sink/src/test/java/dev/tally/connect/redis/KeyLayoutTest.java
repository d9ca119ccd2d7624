package dev.tally.connect.redis;

import static dev.tally.connect.redis.Minutes.MINUTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.connect.redis.KeyLayout.Ranking;
import dev.tally.connect.redis.KeyLayout.Series;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.util.JedisClusterCRC16;

final class KeyLayoutTest {

  private static final KeyLayout LAYOUT = new KeyLayout("tally:");
  private static final long WS = 1_478_507_520_000L;

  @Test
  void keysAreReadable() {
    Series series = new Series("live", "rails-5xx");
    assertEquals("tally:minute:{live:rails-5xx}:1478507520000", LAYOUT.minuteKey(series, WS));
    assertEquals("tally:minutes:{live:rails-5xx}", LAYOUT.indexKey(series));
    assertEquals("tally:series", LAYOUT.catalogKey());
    assertEquals("tally:top:{1478507520000}:count", LAYOUT.rankingKey(WS, Ranking.COUNT));
    assertEquals("tally:top:{1478507520000}:users", LAYOUT.rankingKey(WS, Ranking.USERS));
  }

  @Test
  void anyStringRoundTripsAndNeverBreaksTheKeyOrItsHashTag() {
    List<String> awkward = List.of("", "a:b", "a|b", "{", "}", "{x}", "two words", "ünïcödé",
        "日本語", "%", "%41", "emoji \uD83D\uDE00", "tab\tnew\nline", "a.b-c_d");
    for (String product : awkward) {
      for (String eventType : awkward) {
        Series series = new Series(product, eventType);
        String encoded = series.encoded();
        assertEquals(series, Series.decode(encoded));
        assertTrue(encoded.matches("[A-Za-z0-9._%-]*:[A-Za-z0-9._%-]*"), encoded);
        assertEquals(JedisClusterCRC16.getSlot("{" + encoded + "}"),
            JedisClusterCRC16.getSlot(LAYOUT.minuteKey(series, WS)));
        assertEquals(JedisClusterCRC16.getSlot(LAYOUT.minuteKey(series, WS)),
            JedisClusterCRC16.getSlot(LAYOUT.indexKey(series)));
      }
    }
    assertEquals("two%20words", KeyLayout.escape("two words"));
    assertEquals("%C3%BC", KeyLayout.escape("ü"));
  }

  @Test
  void aMinutesTwoRankingsShareASlot() {
    assertEquals(JedisClusterCRC16.getSlot(LAYOUT.rankingKey(WS, Ranking.COUNT)),
        JedisClusterCRC16.getSlot(LAYOUT.rankingKey(WS, Ranking.USERS)));
  }

  @Test
  void malformedNamesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Series.decode("no-colon"));
    assertThrows(IllegalArgumentException.class, () -> Series.decode("a:b:c"));
    assertThrows(IllegalArgumentException.class, () -> KeyLayout.unescape("%4"));
    assertThrows(IllegalArgumentException.class, () -> KeyLayout.unescape("%ZZ"));
    assertThrows(IllegalArgumentException.class, () -> KeyLayout.unescape("%FF"));
    assertThrows(IllegalArgumentException.class, () -> new KeyLayout("a{b"));
  }

  @Test
  void aMinuteExpiresRetentionAfterItsWindowEndsAndIsSkippedOnceExpired() {
    long retention = 600_000;
    MinuteWrite write = MinuteWrite.of(Minutes.fin("live", "x", WS, 2, 1), LAYOUT, retention,
        WS + MINUTE + 1_000);
    assertEquals(WS + MINUTE + retention, write.expireAtMs());
    // index entries whose window ended retention ago are trimmed
    assertEquals(WS + MINUTE + 1_000 - retention - MINUTE, write.trimBeforeMs());
    assertEquals(List.of("live", "x", Long.toString(WS), Long.toString(WS + MINUTE), "2", "1", "1",
        Long.toString(WS + MINUTE + 10_500), Long.toString(WS + MINUTE + retention),
        Long.toString(write.trimBeforeMs())), write.minuteArgs());
    assertNull(MinuteWrite.of(Minutes.fin("live", "x", WS, 2, 1), LAYOUT, retention,
        WS + MINUTE + retention));
  }
}
