package dev.tally.connect.redis;

import static dev.tally.connect.redis.Minutes.fin;
import static dev.tally.connect.redis.Minutes.minuteAgo;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.connect.redis.RedisSinkConfig.Mode;
import dev.tally.localstack.Ports;
import dev.tally.testkit.RecordingSinkTaskContext;
import dev.tally.testkit.RedisProcess;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.UnifiedJedis;

/**
 * The suite over TLS only (no plain port), with a certificate the client checks against its trust
 * store and host name, and a client certificate the server requires.
 */
final class TlsRedisSinkTest extends RedisSinkSuite {

  private static final Path DIR = Path.of("target", "redis-tls-" + System.nanoTime());
  private static TestCertificates certificates;
  private static RedisProcess redis;
  private static UnifiedJedis admin;

  @BeforeAll
  static void startRedis() {
    certificates = TestCertificates.create(DIR.resolve("certs"));
    int port = Ports.free();
    // the plain port is closed (--port 0): the server is ready when the TLS port listens
    List<String> args = new java.util.ArrayList<>(certificates.serverArgs(port));
    redis = RedisProcess.server(DIR.resolve("server"), port, args);
    admin = endpoint(port).connect();
  }

  @AfterAll
  static void stopRedis() {
    admin.close();
    redis.close();
  }

  private static RedisEndpoint endpoint(int port) {
    return new RedisEndpoint(Mode.STANDALONE, List.of(new HostAndPort("127.0.0.1", port)), null,
        null, null, null, null, 0, 2_000, new RedisEndpoint.Tls(certificates.file("truststore.p12"),
        TestCertificates.STORE_PASSWORD, "PKCS12", certificates.file("client.p12"),
        TestCertificates.STORE_PASSWORD, "PKCS12", true), 0, 1_000);
  }

  @Override
  protected Map<String, String> connection() {
    return Map.of(RedisSinkConfig.HOSTS, "127.0.0.1:" + redis.port(),
        RedisSinkConfig.SSL_ENABLED, "true",
        RedisSinkConfig.SSL_TRUSTSTORE_LOCATION, certificates.file("truststore.p12"),
        RedisSinkConfig.SSL_TRUSTSTORE_PASSWORD, TestCertificates.STORE_PASSWORD,
        RedisSinkConfig.SSL_KEYSTORE_LOCATION, certificates.file("client.p12"),
        RedisSinkConfig.SSL_KEYSTORE_PASSWORD, TestCertificates.STORE_PASSWORD);
  }

  @Override
  protected List<UnifiedJedis> dataNodes() {
    return List.of(admin);
  }

  @Override
  protected UnifiedJedis admin() {
    return admin;
  }

  @Test
  void aServerCertificateOutsideTheTrustStoreFailsTheTask() {
    Map<String, String> settings = new HashMap<>(connection());
    // the client's own store holds no CA: the server's certificate cannot be trusted
    settings.put(RedisSinkConfig.SSL_TRUSTSTORE_LOCATION, certificates.file("client.p12"));
    RedisSinkTask task = task(RecordingSinkTaskContext.withReporter(), settings);
    ConnectException failure = assertThrows(ConnectException.class,
        () -> task.put(minutes.records(fin("live", "rails-5xx", minuteAgo(2), 2, 1))));
    assertTrue(failure.getMessage().contains("TLS settings"), failure.getMessage());
  }
}
