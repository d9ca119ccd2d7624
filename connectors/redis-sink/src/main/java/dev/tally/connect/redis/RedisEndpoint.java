package dev.tally.connect.redis;

import dev.tally.connect.redis.RedisSinkConfig.Mode;
import java.io.File;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisSentinelClient;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;
import redis.clients.jedis.UnifiedJedis;

/**
 * Where Redis is and how to log in: the connection half of the configuration, shared by the sink
 * (as the writer user) and the {@code query} command (as the read-only user).
 *
 * <p>{@link #connect()} returns a Jedis {@link UnifiedJedis} for any of the three deployments, so
 * the code above it (pipelines, scripts, reads) is the same for all of them.
 *
 * @param mode standalone, sentinel or cluster
 * @param hosts the server, the Sentinels, or cluster seed nodes
 * @param sentinelMaster the master name, for sentinel mode
 * @param user ACL user, or null for the default user
 * @param password password, or null
 * @param sentinelUser ACL user of the Sentinels, or null
 * @param sentinelPassword password of the Sentinels, or null
 * @param database database number (0 in a cluster)
 * @param timeoutMs connect and socket timeout
 * @param tls TLS settings, or null for plain TCP
 * @param waitReplicas replicas that must acknowledge each batch (0: none)
 * @param waitTimeoutMs how long to wait for them
 */
public record RedisEndpoint(Mode mode, List<HostAndPort> hosts, String sentinelMaster, String user,
    String password, String sentinelUser, String sentinelPassword, int database, int timeoutMs,
    Tls tls, int waitReplicas, int waitTimeoutMs) {

  public RedisEndpoint {
    Objects.requireNonNull(mode, "mode");
    hosts = List.copyOf(hosts);
    if (hosts.isEmpty()) {
      throw new IllegalArgumentException("no Redis host");
    }
  }

  /** Plain TCP, no AUTH, defaults otherwise: a standalone server at {@code host:port}. */
  public static RedisEndpoint standalone(String host, int port) {
    return new RedisEndpoint(Mode.STANDALONE, List.of(new HostAndPort(host, port)), null, null, null,
        null, null, 0, 2_000, null, 0, 1_000);
  }

  /** The same endpoint, logging in as {@code user} with {@code password}. */
  public RedisEndpoint withUser(String user, String password) {
    return new RedisEndpoint(mode, hosts, sentinelMaster, user, password, sentinelUser,
        sentinelPassword, database, timeoutMs, tls, waitReplicas, waitTimeoutMs);
  }

  /**
   * TLS settings.
   *
   * @param truststore trust store path, or null for the JVM's default
   * @param truststorePassword its password, or null
   * @param truststoreType PKCS12 or JKS
   * @param keystore key store with a client certificate, or null for none
   * @param keystorePassword its password, or null
   * @param keystoreType PKCS12 or JKS
   * @param verifyHostname whether the certificate must name the host
   */
  public record Tls(String truststore, String truststorePassword, String truststoreType,
      String keystore, String keystorePassword, String keystoreType, boolean verifyHostname) {

    SslOptions sslOptions() {
      SslOptions.Builder builder = SslOptions.builder()
          .sslVerifyMode(verifyHostname ? SslVerifyMode.FULL : SslVerifyMode.CA);
      if (truststore != null) {
        builder.truststore(new File(truststore), chars(truststorePassword)).trustStoreType(truststoreType);
      }
      if (keystore != null) {
        builder.keystore(new File(keystore), chars(keystorePassword)).keyStoreType(keystoreType);
      }
      return builder.build();
    }

    private static char[] chars(String password) {
      return password == null ? new char[0] : password.toCharArray();
    }
  }

  /**
   * Parses {@code host:port}.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static HostAndPort hostAndPort(String value) {
    String trimmed = value.trim();
    int colon = trimmed.lastIndexOf(':');
    if (colon <= 0 || colon == trimmed.length() - 1) {
      throw new IllegalArgumentException("'" + value + "' is not host:port");
    }
    String host = trimmed.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(trimmed.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + value + "' has no numeric port");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("'" + value + "' has a port outside 1-65535");
    }
    return new HostAndPort(host, port);
  }

  /** A client for this deployment; close it when done. Connections are made lazily. */
  public UnifiedJedis connect() {
    JedisClientConfig client = clientConfig(user, password, database);
    return switch (mode) {
      case STANDALONE -> RedisClient.builder().hostAndPort(hosts.get(0)).clientConfig(client).build();
      case CLUSTER -> RedisClusterClient.builder().nodes(new LinkedHashSet<>(hosts))
          .clientConfig(client).build();
      case SENTINEL -> RedisSentinelClient.builder().masterName(sentinelMaster)
          .sentinels(Set.copyOf(hosts)).clientConfig(client)
          .sentinelClientConfig(clientConfig(sentinelUser, sentinelPassword, 0)).build();
    };
  }

  private JedisClientConfig clientConfig(String login, String secret, int db) {
    DefaultJedisClientConfig.Builder builder = DefaultJedisClientConfig.builder()
        .connectionTimeoutMillis(timeoutMs)
        .socketTimeoutMillis(timeoutMs)
        .database(db)
        .clientName("tally-redis-sink");
    if (login != null) {
      builder.user(login);
    }
    if (secret != null) {
      builder.password(secret);
    }
    if (tls != null) {
      builder.ssl(true).sslOptions(tls.sslOptions());
    }
    return builder.build();
  }

  /** For messages: "standalone 127.0.0.1:6379" or "sentinel mymaster via 127.0.0.1:26379,...". */
  public String describe() {
    String list = String.join(",", hosts.stream().map(HostAndPort::toString).toList());
    String who = user == null ? "" : " as " + user;
    return switch (mode) {
      case STANDALONE -> "Redis " + list + who;
      case CLUSTER -> "Redis Cluster " + list + who;
      case SENTINEL -> "Redis master '" + sentinelMaster + "' via Sentinels " + list + who;
    };
  }

  @Override
  public String toString() {
    // never the passwords
    return describe() + (tls == null ? "" : " (TLS)");
  }
}
