package dev.tally.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * How a {@link Gateway} listens and where it writes.
 *
 * @param http the HTTP listener's address (port 0: a free one)
 * @param udp the UDP listener's address, or null for none
 * @param udpPrecision the unit of timestamps in UDP datagrams (UDP carries no parameters)
 * @param maxBodyBytes the largest request body taken, after decompression; larger ones get 413
 * @param credentials who may write; {@link Credentials#none()} for anyone
 * @param anonymousBeyondLoopback whether to listen beyond the loopback interface without credentials
 * @param tls the TLS context of the HTTP listener, or null for plain HTTP
 * @param eventsTopic the topic events go to, keyed by username, as Avro single-object records
 * @param deadLetterTopic the topic bad lines go to, with the reason in headers
 * @param producerConfig the Kafka producer's configuration: bootstrap servers, security settings and
 *     the transactional id at least; the gateway sets acks, idempotence and serializers itself
 * @param httpThreads threads serving HTTP requests (each waits for its Kafka transaction)
 */
public record GatewaySettings(InetSocketAddress http, InetSocketAddress udp, Precision udpPrecision,
    long maxBodyBytes, Credentials credentials, boolean anonymousBeyondLoopback, SSLContext tls, String eventsTopic,
    String deadLetterTopic, Map<String, Object> producerConfig, int httpThreads) {

  /** InfluxDB 1.x's default {@code max-body-size}. */
  public static final long DEFAULT_MAX_BODY_BYTES = 25_000_000L;

  public GatewaySettings {
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(udpPrecision, "udpPrecision");
    Objects.requireNonNull(credentials, "credentials");
    Objects.requireNonNull(eventsTopic, "eventsTopic");
    Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
    producerConfig = Map.copyOf(producerConfig);
    if (!producerConfig.containsKey("transactional.id")) {
      throw new IllegalArgumentException("the producer configuration needs a transactional.id");
    }
    if (maxBodyBytes < 1 || maxBodyBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("maxBodyBytes must be between 1 and 2 GiB: " + maxBodyBytes);
    }
    if (httpThreads < 1) {
      throw new IllegalArgumentException("httpThreads must be positive: " + httpThreads);
    }
  }

  /** A TLS context serving the key and certificate of a PKCS12 keystore. */
  public static SSLContext tls(Path keystore, String password) throws IOException, GeneralSecurityException {
    char[] secret = password == null ? new char[0] : password.toCharArray();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      store.load(in, secret);
    }
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, secret);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    return context;
  }
}
