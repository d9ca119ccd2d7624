package dev.tally.connect.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.connect.redis.RedisSinkConfig.Mode;
import dev.tally.connect.redis.RedisSinkConfig.PermanentFailureAction;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.junit.jupiter.api.Test;

final class RedisSinkConfigTest {

  private static String failure(Map<String, String> settings) {
    return assertThrows(ConfigException.class, () -> RedisSinkConfig.parse(settings)).getMessage();
  }

  private static void assertMentions(String message, String... parts) {
    for (String part : parts) {
      assertTrue(message.contains(part), "'" + part + "' missing from: " + message);
    }
  }

  @Test
  void defaultsReachALocalServerWithSevenDaysRetention() {
    RedisSinkConfig config = RedisSinkConfig.parse(Map.of());
    assertEquals(Mode.STANDALONE, config.mode());
    assertEquals("127.0.0.1:6379", config.endpoint().hosts().get(0).toString());
    assertEquals(7L * 24 * 3600 * 1000, config.retentionMs());
    assertEquals("tally:", config.keyLayout().prefix());
    assertEquals(PermanentFailureAction.REPORT, config.onPermanentFailure());
    assertEquals(null, config.endpoint().tls());
  }

  @Test
  void anEnumeratedKeyNamesItselfAndItsAllowedValues() {
    assertMentions(failure(Map.of(RedisSinkConfig.MODE, "replicated")), "redis.mode", "replicated",
        "standalone", "sentinel", "cluster");
    assertMentions(failure(Map.of(RedisSinkConfig.ON_PERMANENT_FAILURE, "ignore")),
        "redis.on.permanent.failure", "report", "fail");
    assertMentions(failure(Map.of(RedisSinkConfig.SSL_TRUSTSTORE_TYPE, "PEM")),
        "redis.ssl.truststore.type", "PKCS12", "JKS");
  }

  @Test
  void hostsPrefixAndNumbersAreChecked() {
    assertMentions(failure(Map.of(RedisSinkConfig.HOSTS, "localhost")), "redis.hosts", "host:port");
    assertMentions(failure(Map.of(RedisSinkConfig.HOSTS, "localhost:70000")), "redis.hosts", "1-65535");
    assertMentions(failure(Map.of(RedisSinkConfig.KEY_PREFIX, "tally:{x}:")), "redis.key.prefix", "'{'");
    assertMentions(failure(Map.of(RedisSinkConfig.RETENTION_MS, "1000")), "redis.retention.ms",
        "at least 60000");
    assertMentions(failure(Map.of(RedisSinkConfig.RETRY_TIMEOUT_MS, "soon")), "redis.retry.timeout.ms");
  }

  @Test
  void everyRuleBetweenKeysIsReportedAtOnceWithItsKey() {
    Map<String, String> settings = new HashMap<>();
    settings.put(RedisSinkConfig.MODE, "sentinel");
    settings.put(RedisSinkConfig.RETRY_BACKOFF_MS, "5000");
    settings.put(RedisSinkConfig.RETRY_BACKOFF_MAX_MS, "1000");
    settings.put(RedisSinkConfig.SSL_TRUSTSTORE_LOCATION, "/no/such/truststore.p12");
    assertMentions(failure(settings), "redis.sentinel.master: required with redis.mode=sentinel",
        "redis.retry.backoff.ms: must not exceed redis.retry.backoff.max.ms",
        "redis.ssl.truststore.location: is set but redis.ssl.enabled is false");

    assertMentions(failure(Map.of(RedisSinkConfig.HOSTS, "a:1,b:2")), "redis.hosts",
        "exactly one host:port");
    assertMentions(failure(Map.of(RedisSinkConfig.MODE, "cluster", RedisSinkConfig.DATABASE, "2",
        RedisSinkConfig.WAIT_REPLICAS, "1")), "redis.database: must be 0", "redis.wait.replicas: must be 0");
    assertMentions(failure(Map.of(RedisSinkConfig.SSL_ENABLED, "true",
        RedisSinkConfig.SSL_KEYSTORE_LOCATION, "/no/such/keystore.p12")),
        "redis.ssl.keystore.location: cannot read /no/such/keystore.p12");
  }

  @Test
  void theConnectorsValidationAttachesEachProblemToItsKey() {
    Map<String, String> settings = new HashMap<>();
    settings.put("name", "redis-mirror");
    settings.put("connector.class", RedisSinkConnector.class.getName());
    settings.put("topics", "minute-counts");
    settings.put(RedisSinkConfig.MODE, "sentinel");
    settings.put(RedisSinkConfig.HOSTS, "127.0.0.1:26379");
    List<ConfigValue> values = new RedisSinkConnector().validate(settings).configValues();
    ConfigValue master = values.stream().filter(v -> v.name().equals(RedisSinkConfig.SENTINEL_MASTER))
        .findFirst().orElseThrow();
    assertEquals(1, master.errorMessages().size());
    assertMentions(master.errorMessages().get(0), "required with redis.mode=sentinel");

    settings.put(RedisSinkConfig.MODE, "nope");
    ConfigValue mode = new RedisSinkConnector().validate(settings).configValues().stream()
        .filter(v -> v.name().equals(RedisSinkConfig.MODE)).findFirst().orElseThrow();
    assertMentions(mode.errorMessages().toString(), "standalone", "sentinel", "cluster");
  }

  @Test
  void theEndpointCarriesCredentialsButNeverPrintsThem() {
    RedisSinkConfig config = RedisSinkConfig.parse(Map.of(RedisSinkConfig.USER, "tally-writer",
        RedisSinkConfig.PASSWORD, "s3cret", RedisSinkConfig.MODE, "cluster",
        RedisSinkConfig.HOSTS, "10.0.0.1:7000,10.0.0.2:7000"));
    RedisEndpoint endpoint = config.endpoint();
    assertEquals("s3cret", endpoint.password());
    assertEquals(2, endpoint.hosts().size());
    assertTrue(!endpoint.toString().contains("s3cret") && endpoint.toString().contains("tally-writer"),
        endpoint.toString());
  }
}
