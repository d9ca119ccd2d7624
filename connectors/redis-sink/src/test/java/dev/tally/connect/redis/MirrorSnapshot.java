package dev.tally.connect.redis;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Everything under a key prefix, as comparable text: each key's type, contents (hash fields and
 * sorted-set members in order, with scores) and absolute expiry. Two equal snapshots are the same
 * Redis state, expiries included.
 */
final class MirrorSnapshot {

  private MirrorSnapshot() {
  }

  /** The snapshot over {@code nodes} (one standalone server, or every master of a cluster). */
  static Map<String, String> of(List<UnifiedJedis> nodes, String prefix) {
    Map<String, String> snapshot = new TreeMap<>();
    for (UnifiedJedis node : nodes) {
      String cursor = ScanParams.SCAN_POINTER_START;
      do {
        ScanResult<String> page = node.scan(cursor, new ScanParams().match(prefix + "*").count(500));
        for (String key : page.getResult()) {
          snapshot.put(key, describe(node, key));
        }
        cursor = page.getCursor();
      } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    }
    return snapshot;
  }

  private static String describe(UnifiedJedis node, String key) {
    String type = node.type(key);
    String contents = switch (type) {
      case "hash" -> new TreeMap<>(node.hgetAll(key)).toString();
      case "zset" -> node.zrangeWithScores(key, 0, -1).toString();
      case "set" -> new java.util.TreeSet<>(node.smembers(key)).toString();
      // a HyperLogLog: what it counts (its bytes also cache the last count, which reads change)
      case "string" -> "pfcount " + node.pfcount(key);
      default -> "?";
    };
    return type + " " + contents + " expires " + node.pexpireTime(key);
  }
}
