package dev.tally.connect.redis;

import dev.tally.connect.redis.KeyLayout.Series;
import dev.tally.connect.redis.KeyLayout.Span;
import dev.tally.schema.MinuteUsers;
import java.util.ArrayList;
import java.util.List;

/**
 * What one {@link MinuteUsers} record does to the mirror: its users' hashes added ({@code PFADD}) to
 * the series' HyperLogLogs of the window, its UTC hour and its UTC day, each kept for the retention
 * after its span ends; and the series added to the hour's and the day's sets of series. Every command
 * is idempotent and order-free, so replays, retries and two tasks writing one hour agree.
 *
 * @param series the series
 * @param windowStartMs the window's start, for messages
 * @param elements the hashes as 8-byte big-endian elements
 * @param spans the spans still within the retention: each a HyperLogLog to add to
 */
record UsersWrite(Series series, long windowStartMs, byte[][] elements, List<SpanWrite> spans) {

  /**
   * One span's keys.
   *
   * @param span window, hour or day
   * @param key the HyperLogLog
   * @param seriesKey the span's set of series, or null (a window has none)
   * @param expireAtMs when both expire: the span's end plus the retention
   */
  record SpanWrite(Span span, String key, String seriesKey, long expireAtMs) {}

  /** The writes of {@code users}, or null when all of its spans are past the retention. */
  static UsersWrite of(MinuteUsers users, KeyLayout layout, long retentionMs, long nowMs) {
    Series series = new Series(users.getProduct(), users.getEventType());
    long start = users.getWindowStart().toEpochMilli();
    long end = users.getWindowEnd().toEpochMilli();
    List<SpanWrite> spans = new ArrayList<>(3);
    for (Span span : Span.values()) {
      long spanStart = span.startOf(start);
      long spanEnd = span == Span.WINDOW ? end : spanStart + span.lengthMs();
      long expireAt = spanEnd + retentionMs;
      if (expireAt > nowMs) {
        spans.add(new SpanWrite(span, layout.uniquesKey(series, span, spanStart),
            span == Span.WINDOW ? null : layout.uniquesSeriesKey(span, spanStart), expireAt));
      }
    }
    if (spans.isEmpty()) {
      return null;
    }
    List<Long> hashes = users.getUserHashes();
    byte[][] elements = new byte[hashes.size()][];
    for (int i = 0; i < elements.length; i++) {
      elements[i] = element(hashes.get(i));
    }
    return new UsersWrite(series, start, elements, List.copyOf(spans));
  }

  /** A hash as the HyperLogLogs' element: 8 bytes, big-endian. */
  static byte[] element(long hash) {
    byte[] bytes = new byte[Long.BYTES];
    for (int i = 0; i < Long.BYTES; i++) {
      bytes[i] = (byte) (hash >>> (56 - 8 * i));
    }
    return bytes;
  }
}
