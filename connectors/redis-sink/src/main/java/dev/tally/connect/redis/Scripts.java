package dev.tally.connect.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts the sink runs: each touches the keys of one Redis Cluster slot only, and each is
 * idempotent, so a batch can be sent again after any failure.
 */
final class Scripts {

  /**
   * The conditional write of one minute. KEYS: the minute hash, the series' time index. ARGV:
   * product, event_type, window_start, window_end, count, unique_users, is_final (1/0), emitted_at,
   * expire_at (ms), trim_before (index entries below it have expired).
   *
   * <p>A value is written when (is_final, emitted_at) is at least the stored one: a final value
   * beats any live update, and among equals the later computation wins, so a live update arriving
   * after the final is dropped and a replay writes what is already there. Returns {applied (1/0),
   * count, unique_users} of the value Redis holds afterwards, for the rankings.
   */
  static final Script WRITE_MINUTE = new Script("""
      local stored = redis.call('HMGET', KEYS[1], 'is_final', 'emitted_at', 'count', 'unique_users')
      local apply = true
      if stored[1] and stored[2] then
        local storedFinal, incomingFinal = tonumber(stored[1]), tonumber(ARGV[7])
        if storedFinal > incomingFinal
            or (storedFinal == incomingFinal and tonumber(stored[2]) > tonumber(ARGV[8])) then
          apply = false
        end
      end
      if apply then
        redis.call('HSET', KEYS[1], 'product', ARGV[1], 'event_type', ARGV[2],
          'window_start', ARGV[3], 'window_end', ARGV[4], 'count', ARGV[5],
          'unique_users', ARGV[6], 'is_final', ARGV[7], 'emitted_at', ARGV[8])
      end
      redis.call('PEXPIREAT', KEYS[1], ARGV[9])
      redis.call('ZADD', KEYS[2], ARGV[3], ARGV[3])
      redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[10])
      if redis.call('PEXPIRETIME', KEYS[2]) < tonumber(ARGV[9]) then
        redis.call('PEXPIREAT', KEYS[2], ARGV[9])
      end
      if apply then
        return {'1', ARGV[5], ARGV[6]}
      end
      return {'0', stored[3] or ARGV[5], stored[4] or ARGV[6]}
      """);

  /**
   * Records a series in the catalog. KEYS: the catalog. ARGV: the encoded series, its window_start,
   * expire_at, trim_before. The score only grows (ZADD GT), the key's expiry only moves later, and
   * series whose latest minute has expired leave.
   */
  static final Script CATALOG = new Script("""
      redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])
      if redis.call('PEXPIRETIME', KEYS[1]) < tonumber(ARGV[3]) then
        redis.call('PEXPIREAT', KEYS[1], ARGV[3])
      end
      return 1
      """);

  private Scripts() {
  }

  /** A script's text and its SHA-1, for EVALSHA. */
  record Script(String text, String sha) {
    Script(String text) {
      this(text, sha1(text));
    }

    private static String sha1(String text) {
      try {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
            .digest(text.getBytes(StandardCharsets.UTF_8)));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JVM has no SHA-1", e);
      }
    }
  }
}
