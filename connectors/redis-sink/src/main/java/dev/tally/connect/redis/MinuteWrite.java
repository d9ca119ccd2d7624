package dev.tally.connect.redis;

import dev.tally.connect.redis.KeyLayout.Ranking;
import dev.tally.connect.redis.KeyLayout.Series;
import dev.tally.schema.MinuteCount;
import java.util.List;

/**
 * What one {@link MinuteCount} becomes in Redis: the keys and arguments of its commands. Pure:
 * no I/O, so the mapping is tested without a server.
 *
 * <p>Every key of a minute expires at {@code window end + retention}, a time that depends on the
 * record only, so writing the same records again (a replay, a rebuild) gives the same expiries.
 *
 * @param series the record's series
 * @param windowStartMs window start
 * @param windowEndMs window end (exclusive)
 * @param count cumulative_user_event
 * @param uniqueUsers unique_user_event
 * @param isFinal whether the window is closed
 * @param emittedAtMs when Tally computed the value
 * @param expireAtMs when the minute's keys expire
 * @param trimBeforeMs index and catalog entries scored below this have expired
 * @param layout the key names
 */
public record MinuteWrite(Series series, long windowStartMs, long windowEndMs, long count,
    long uniqueUsers, boolean isFinal, long emittedAtMs, long expireAtMs, long trimBeforeMs,
    KeyLayout layout) {

  /**
   * The write of {@code count}, or null when its window has already expired at {@code nowMs}
   * (writing it would only create keys that expire at once).
   */
  public static MinuteWrite of(MinuteCount count, KeyLayout layout, long retentionMs, long nowMs) {
    long start = count.getWindowStart().toEpochMilli();
    long end = count.getWindowEnd().toEpochMilli();
    long expireAt = end + retentionMs;
    if (expireAt <= nowMs) {
      return null;
    }
    return new MinuteWrite(new Series(count.getProduct(), count.getEventType()), start, end,
        count.getCount(), count.getUniqueUsers(), count.getIsFinal(),
        count.getEmittedAt().toEpochMilli(), expireAt, nowMs - retentionMs - (end - start), layout);
  }

  public String minuteKey() {
    return layout.minuteKey(series, windowStartMs);
  }

  /** KEYS of {@link Scripts#WRITE_MINUTE}: the minute hash and the series index (one slot). */
  List<String> minuteKeys() {
    return List.of(minuteKey(), layout.indexKey(series));
  }

  /** ARGV of {@link Scripts#WRITE_MINUTE}. */
  List<String> minuteArgs() {
    return List.of(series.product(), series.eventType(), Long.toString(windowStartMs),
        Long.toString(windowEndMs), Long.toString(count), Long.toString(uniqueUsers),
        isFinal ? "1" : "0", Long.toString(emittedAtMs), Long.toString(expireAtMs),
        Long.toString(trimBeforeMs));
  }

  /** ARGV of {@link Scripts#CATALOG}. */
  List<String> catalogArgs() {
    return List.of(series.encoded(), Long.toString(windowStartMs), Long.toString(expireAtMs),
        Long.toString(trimBeforeMs));
  }

  public String rankingKey(Ranking ranking) {
    return layout.rankingKey(windowStartMs, ranking);
  }
}
