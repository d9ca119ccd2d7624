package dev.tally.connect.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.connect.redis.RetryPolicy.Kind;
import java.net.ConnectException;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

final class RetryPolicyTest {

  @Test
  void aServerThatIsDownStartingOrFailingOverIsTransient() {
    for (Throwable failure : List.of(new JedisConnectionException(new ConnectException("refused")),
        new JedisConnectionException("Unexpected end of stream."),
        new JedisClusterOperationException("No more cluster attempts left."),
        new JedisDataException("READONLY You can't write against a read only replica."),
        new JedisDataException("LOADING Redis is loading the dataset in memory"),
        new JedisDataException("CLUSTERDOWN The cluster is down"),
        new JedisDataException("TRYAGAIN Multiple keys request during rehashing of slot"),
        new JedisDataException("MASTERDOWN Link with MASTER is down"))) {
      assertEquals(Kind.TRANSIENT, RetryPolicy.classify(failure), failure.getMessage());
    }
  }

  @Test
  void aRefusedCommandIsPermanentForItsRecordAndARefusedLoginForAll() {
    assertEquals(Kind.PERMANENT, RetryPolicy.classify(new JedisAccessControlException(
        "NOPERM this user has no permissions to access one of the keys used as arguments")));
    assertEquals(Kind.PERMANENT, RetryPolicy.classify(new JedisDataException(
        "WRONGTYPE Operation against a key holding the wrong kind of value")));
    assertEquals(Kind.PERMANENT, RetryPolicy.classify(new JedisDataException("ERR unknown command")));
    assertEquals(Kind.FATAL, RetryPolicy.classify(new JedisAccessControlException(
        "WRONGPASS invalid username-password pair or user is disabled.")));
    assertEquals(Kind.FATAL, RetryPolicy.classify(new JedisConnectionException(
        new JedisDataException("NOAUTH Authentication required."))));
  }

  @Test
  void theBackoffDoublesUpToItsCapAndTheTimeoutEndsTheRetries() {
    RetryPolicy policy = new RetryPolicy(100, 1_000, 5_000);
    assertEquals(List.of(100L, 200L, 400L, 800L, 1_000L, 1_000L),
        List.of(policy.backoffMs(1), policy.backoffMs(2), policy.backoffMs(3), policy.backoffMs(4),
            policy.backoffMs(5), policy.backoffMs(40)));
    assertFalse(policy.givesUp(4_999));
    assertTrue(policy.givesUp(5_000));
    assertFalse(new RetryPolicy(100, 1_000, -1).givesUp(Long.MAX_VALUE));
  }
}
