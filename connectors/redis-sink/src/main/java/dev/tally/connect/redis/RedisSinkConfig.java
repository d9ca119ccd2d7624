package dev.tally.connect.redis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Configuration of the Redis sink: the {@code redis.*} keys below, next to Connect's own
 * ({@code topics}, {@code errors.*}, converters). {@link #CONFIG} documents every key with its
 * type, default, validator and group; {@link #problems()} adds the rules that involve several keys.
 * {@link #parse} applies both and reports every problem at once.
 */
public final class RedisSinkConfig extends AbstractConfig {

  public static final String MODE = "redis.mode";
  public static final String HOSTS = "redis.hosts";
  public static final String SENTINEL_MASTER = "redis.sentinel.master";
  public static final String SENTINEL_USER = "redis.sentinel.user";
  public static final String SENTINEL_PASSWORD = "redis.sentinel.password";
  public static final String USER = "redis.user";
  public static final String PASSWORD = "redis.password";
  public static final String DATABASE = "redis.database";
  public static final String TIMEOUT_MS = "redis.timeout.ms";
  public static final String WAIT_REPLICAS = "redis.wait.replicas";
  public static final String WAIT_TIMEOUT_MS = "redis.wait.timeout.ms";

  public static final String SSL_ENABLED = "redis.ssl.enabled";
  public static final String SSL_TRUSTSTORE_LOCATION = "redis.ssl.truststore.location";
  public static final String SSL_TRUSTSTORE_PASSWORD = "redis.ssl.truststore.password";
  public static final String SSL_TRUSTSTORE_TYPE = "redis.ssl.truststore.type";
  public static final String SSL_KEYSTORE_LOCATION = "redis.ssl.keystore.location";
  public static final String SSL_KEYSTORE_PASSWORD = "redis.ssl.keystore.password";
  public static final String SSL_KEYSTORE_TYPE = "redis.ssl.keystore.type";
  public static final String SSL_VERIFY_HOSTNAME = "redis.ssl.endpoint.identification.enabled";

  public static final String KEY_PREFIX = "redis.key.prefix";
  public static final String RETENTION_MS = "redis.retention.ms";

  public static final String ON_PERMANENT_FAILURE = "redis.on.permanent.failure";
  public static final String RETRY_BACKOFF_MS = "redis.retry.backoff.ms";
  public static final String RETRY_BACKOFF_MAX_MS = "redis.retry.backoff.max.ms";
  public static final String RETRY_TIMEOUT_MS = "redis.retry.timeout.ms";

  /** Seven days. */
  public static final long DEFAULT_RETENTION_MS = 7L * 24 * 60 * 60 * 1000;

  private static final String CONNECTION = "Redis connection";
  private static final String TLS = "Redis TLS";
  private static final String MAPPING = "Key layout";
  private static final String ERRORS = "Errors and retries";

  /** The documented keys, with types, defaults, validators and groups. */
  public static final ConfigDef CONFIG = new ConfigDef()
      .define(MODE, Type.STRING, Mode.STANDALONE.configName(),
          OneOf.of(Mode.names()), Importance.HIGH,
          "How to reach Redis: standalone (one server), sentinel (ask the Sentinels in redis.hosts "
              + "for the current master of redis.sentinel.master, and follow failovers) or cluster "
              + "(redis.hosts are seed nodes of a Redis Cluster).",
          CONNECTION, 1, Width.SHORT, "Deployment")
      .define(HOSTS, Type.LIST, "127.0.0.1:6379", new HostListValidator(), Importance.HIGH,
          "host:port of the server (standalone), of the Sentinels (sentinel) or of some cluster "
              + "nodes (cluster), comma-separated.",
          CONNECTION, 2, Width.LONG, "Hosts")
      .define(SENTINEL_MASTER, Type.STRING, "", Importance.MEDIUM,
          "The master name the Sentinels monitor (required with redis.mode=sentinel).",
          CONNECTION, 3, Width.MEDIUM, "Sentinel master name")
      .define(SENTINEL_USER, Type.STRING, "", Importance.LOW,
          "ACL user for the Sentinels themselves, if they require AUTH (empty: none).",
          CONNECTION, 4, Width.MEDIUM, "Sentinel user")
      .define(SENTINEL_PASSWORD, Type.PASSWORD, null, Importance.LOW,
          "Password for the Sentinels themselves, if they require AUTH.",
          CONNECTION, 5, Width.MEDIUM, "Sentinel password")
      .define(USER, Type.STRING, "", Importance.HIGH,
          "ACL user the connector authenticates as, e.g. tally-writer from acl/users.acl "
              + "(empty: the default user, with redis.password if set).",
          CONNECTION, 6, Width.MEDIUM, "User")
      .define(PASSWORD, Type.PASSWORD, null, Importance.HIGH,
          "Password of redis.user (or requirepass of the default user).",
          CONNECTION, 7, Width.MEDIUM, "Password")
      .define(DATABASE, Type.INT, 0, Range.between(0, 65_535), Importance.LOW,
          "Database number (standalone and sentinel; a cluster has only 0).",
          CONNECTION, 8, Width.SHORT, "Database")
      .define(TIMEOUT_MS, Type.INT, 2_000, Range.between(1, 600_000), Importance.MEDIUM,
          "Connect and socket timeout for Redis, in milliseconds. A timeout is a transient "
              + "failure: the batch is retried.",
          CONNECTION, 9, Width.SHORT, "Timeout")
      .define(WAIT_REPLICAS, Type.INT, 0, Range.between(0, 100), Importance.MEDIUM,
          "After each batch, WAIT until this many replicas have acknowledged its writes before "
              + "the offsets may be committed, so a failover cannot lose an acknowledged final "
              + "value (sentinel or standalone with replicas; 0: do not wait; not in cluster mode). "
              + "Fewer acknowledgements within redis.wait.timeout.ms is a transient failure.",
          CONNECTION, 10, Width.SHORT, "Replicas to wait for")
      .define(WAIT_TIMEOUT_MS, Type.INT, 1_000, Range.between(1, 600_000), Importance.LOW,
          "How long WAIT waits for redis.wait.replicas acknowledgements, in milliseconds.",
          CONNECTION, 11, Width.SHORT, "Replica wait timeout")
      .define(SSL_ENABLED, Type.BOOLEAN, false, Importance.HIGH,
          "Connect with TLS (to the servers and the Sentinels).",
          TLS, 1, Width.SHORT, "TLS")
      .define(SSL_TRUSTSTORE_LOCATION, Type.STRING, "", Importance.MEDIUM,
          "Trust store with the CA that signed the servers' certificates (empty: the JVM's "
              + "default trust store).",
          TLS, 2, Width.LONG, "Trust store")
      .define(SSL_TRUSTSTORE_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM,
          "Password of the trust store.", TLS, 3, Width.MEDIUM, "Trust store password")
      .define(SSL_TRUSTSTORE_TYPE, Type.STRING, "PKCS12",
          OneOf.of("PKCS12", "JKS"), Importance.LOW,
          "Format of the trust store.", TLS, 4, Width.SHORT, "Trust store type")
      .define(SSL_KEYSTORE_LOCATION, Type.STRING, "", Importance.MEDIUM,
          "Key store with this client's certificate and key, for servers that authenticate "
              + "clients (tls-auth-clients yes, Redis' default); empty: no client certificate.",
          TLS, 5, Width.LONG, "Key store")
      .define(SSL_KEYSTORE_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM,
          "Password of the key store (and of its key).", TLS, 6, Width.MEDIUM, "Key store password")
      .define(SSL_KEYSTORE_TYPE, Type.STRING, "PKCS12",
          OneOf.of("PKCS12", "JKS"), Importance.LOW,
          "Format of the key store.", TLS, 7, Width.SHORT, "Key store type")
      .define(SSL_VERIFY_HOSTNAME, Type.BOOLEAN, true, Importance.LOW,
          "Check that the server's certificate names the host connected to.",
          TLS, 8, Width.SHORT, "Verify host name")
      .define(KEY_PREFIX, Type.STRING, KeyLayout.DEFAULT_PREFIX, new PrefixValidator(),
          Importance.HIGH,
          "Put before every key the connector writes. The ACL users in acl/users.acl are limited "
              + "to 'tally:*': change both together.",
          MAPPING, 1, Width.MEDIUM, "Key prefix")
      .define(RETENTION_MS, Type.LONG, DEFAULT_RETENTION_MS, Range.atLeast(60_000L),
          Importance.HIGH,
          "How long a minute stays in Redis after its window ends, in milliseconds: every key "
              + "expires at (window end + retention); records of older windows are skipped.",
          MAPPING, 2, Width.MEDIUM, "Retention")
      .define(ON_PERMANENT_FAILURE, Type.STRING, PermanentFailureAction.REPORT.configName(),
          OneOf.of(PermanentFailureAction.names()), Importance.HIGH,
          "What to do with a record that can never be written (not a MinuteCount, NOPERM, "
              + "WRONGTYPE...): report (to Connect's errant-record reporter, i.e. the dead-letter "
              + "queue and/or log set by errors.deadletterqueue.topic.name, errors.log.enable and "
              + "errors.tolerance=all, then go on; without any, the task fails) or fail (the task "
              + "fails, naming the key and the cause).",
          ERRORS, 1, Width.SHORT, "On permanent failure")
      .define(RETRY_BACKOFF_MS, Type.LONG, 500L, Range.atLeast(1L), Importance.LOW,
          "First wait before a batch that failed transiently (connection refused, timeout, "
              + "failover in progress) is retried, in milliseconds; it doubles up to "
              + "redis.retry.backoff.max.ms.",
          ERRORS, 2, Width.SHORT, "Retry backoff")
      .define(RETRY_BACKOFF_MAX_MS, Type.LONG, 10_000L, Range.atLeast(1L), Importance.LOW,
          "Longest wait between retries, in milliseconds.",
          ERRORS, 3, Width.SHORT, "Longest retry backoff")
      .define(RETRY_TIMEOUT_MS, Type.LONG, 300_000L, Range.atLeast(-1L), Importance.MEDIUM,
          "How long a batch keeps being retried before the task fails, in milliseconds "
              + "(-1: forever).",
          ERRORS, 4, Width.SHORT, "Retry timeout");

  public RedisSinkConfig(Map<?, ?> values) {
    super(CONFIG, values, false);
  }

  /**
   * Parses and checks a configuration.
   *
   * @throws ConfigException listing every problem, each with its key
   */
  public static RedisSinkConfig parse(Map<String, String> values) {
    RedisSinkConfig config = new RedisSinkConfig(values);
    List<Problem> problems = config.problems();
    if (!problems.isEmpty()) {
      throw new ConfigException("Invalid Redis sink configuration: " + problems.stream()
          .map(Problem::toString).collect(Collectors.joining("; ")));
    }
    return config;
  }

  /** A rule broken by the value of {@code key}. */
  public record Problem(String key, String message) {
    @Override
    public String toString() {
      return key + ": " + message;
    }
  }

  /** The rules between keys that {@link #CONFIG}'s validators cannot see; empty when all hold. */
  public List<Problem> problems() {
    List<Problem> problems = new ArrayList<>();
    Mode mode = mode();
    List<String> hosts = getList(HOSTS);
    if (mode == Mode.STANDALONE && hosts.size() != 1) {
      problems.add(new Problem(HOSTS, "redis.mode=standalone takes exactly one host:port, got "
          + hosts.size() + " (for several, use redis.mode=sentinel or cluster)"));
    }
    if (mode == Mode.SENTINEL && getString(SENTINEL_MASTER).isBlank()) {
      problems.add(new Problem(SENTINEL_MASTER,
          "required with redis.mode=sentinel: the master name the Sentinels monitor"));
    }
    if (mode == Mode.CLUSTER && getInt(DATABASE) != 0) {
      problems.add(new Problem(DATABASE, "must be 0 with redis.mode=cluster (a cluster has only "
          + "database 0), got " + getInt(DATABASE)));
    }
    if (mode == Mode.CLUSTER && getInt(WAIT_REPLICAS) != 0) {
      problems.add(new Problem(WAIT_REPLICAS, "must be 0 with redis.mode=cluster (not supported "
          + "there), got " + getInt(WAIT_REPLICAS)));
    }
    checkStore(problems, SSL_TRUSTSTORE_LOCATION);
    checkStore(problems, SSL_KEYSTORE_LOCATION);
    if (getLong(RETRY_BACKOFF_MS) > getLong(RETRY_BACKOFF_MAX_MS)) {
      problems.add(new Problem(RETRY_BACKOFF_MS, "must not exceed " + RETRY_BACKOFF_MAX_MS + " ("
          + getLong(RETRY_BACKOFF_MAX_MS) + "), got " + getLong(RETRY_BACKOFF_MS)));
    }
    return problems;
  }

  private void checkStore(List<Problem> problems, String key) {
    String location = getString(key);
    if (location.isEmpty()) {
      return;
    }
    if (!getBoolean(SSL_ENABLED)) {
      problems.add(new Problem(key, "is set but " + SSL_ENABLED + " is false"));
    } else if (!Files.isReadable(Path.of(location))) {
      problems.add(new Problem(key, "cannot read " + location));
    }
  }

  public Mode mode() {
    return Mode.of(getString(MODE));
  }

  public PermanentFailureAction onPermanentFailure() {
    return PermanentFailureAction.of(getString(ON_PERMANENT_FAILURE));
  }

  public KeyLayout keyLayout() {
    return new KeyLayout(getString(KEY_PREFIX));
  }

  public long retentionMs() {
    return getLong(RETENTION_MS);
  }

  public RetryPolicy retryPolicy() {
    return new RetryPolicy(getLong(RETRY_BACKOFF_MS), getLong(RETRY_BACKOFF_MAX_MS),
        getLong(RETRY_TIMEOUT_MS));
  }

  /** Where and how to connect, as the writer. */
  public RedisEndpoint endpoint() {
    return new RedisEndpoint(mode(), getList(HOSTS).stream().map(RedisEndpoint::hostAndPort).toList(),
        getString(SENTINEL_MASTER), emptyToNull(getString(USER)), value(getPassword(PASSWORD)),
        emptyToNull(getString(SENTINEL_USER)), value(getPassword(SENTINEL_PASSWORD)),
        getInt(DATABASE), getInt(TIMEOUT_MS),
        getBoolean(SSL_ENABLED) ? new RedisEndpoint.Tls(
            emptyToNull(getString(SSL_TRUSTSTORE_LOCATION)), value(getPassword(SSL_TRUSTSTORE_PASSWORD)),
            getString(SSL_TRUSTSTORE_TYPE).toUpperCase(Locale.ROOT),
            emptyToNull(getString(SSL_KEYSTORE_LOCATION)), value(getPassword(SSL_KEYSTORE_PASSWORD)),
            getString(SSL_KEYSTORE_TYPE).toUpperCase(Locale.ROOT), getBoolean(SSL_VERIFY_HOSTNAME))
            : null,
        getInt(WAIT_REPLICAS), getInt(WAIT_TIMEOUT_MS));
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  private static String value(Password password) {
    return password == null ? null : password.value();
  }

  /** How the connector reaches Redis. */
  public enum Mode {
    STANDALONE, SENTINEL, CLUSTER;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    static String[] names() {
      return java.util.Arrays.stream(values()).map(Mode::configName).toArray(String[]::new);
    }

    public static Mode of(String name) {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    }
  }

  /** What happens to a record that can never be written. */
  public enum PermanentFailureAction {
    REPORT, FAIL;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    static String[] names() {
      return java.util.Arrays.stream(values()).map(PermanentFailureAction::configName)
          .toArray(String[]::new);
    }

    static PermanentFailureAction of(String name) {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    }
  }

  /** One of a few names, in any case; the names are listed in the message, in order. */
  private static final class OneOf implements ConfigDef.Validator {
    private final List<String> names;

    private OneOf(List<String> names) {
      this.names = names;
    }

    static OneOf of(String... names) {
      return new OneOf(List.of(names));
    }

    @Override
    public void ensureValid(String name, Object value) {
      if (value == null || names.stream().noneMatch(n -> n.equalsIgnoreCase(value.toString().trim()))) {
        throw new ConfigException(name, value, "must be one of " + String.join(", ", names));
      }
    }

    @Override
    public String toString() {
      return String.join(", ", names);
    }
  }

  /** A non-empty list of host:port with a port in 1-65535. */
  private static final class HostListValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      @SuppressWarnings("unchecked")
      List<String> hosts = (List<String>) value;
      if (hosts == null || hosts.isEmpty()) {
        throw new ConfigException(name, value, "at least one host:port is required");
      }
      for (String host : hosts) {
        try {
          RedisEndpoint.hostAndPort(host);
        } catch (IllegalArgumentException e) {
          throw new ConfigException(name, value, e.getMessage());
        }
      }
    }

    @Override
    public String toString() {
      return "host:port[,host:port...]";
    }
  }

  /** A non-empty prefix without braces, which would move the cluster hash tag. */
  private static final class PrefixValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      String prefix = (String) value;
      if (prefix == null || prefix.isEmpty()) {
        throw new ConfigException(name, value, "must not be empty");
      }
      if (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
        throw new ConfigException(name, value,
            "must not contain '{' or '}' (they would change the Redis Cluster hash tag)");
      }
      if (prefix.chars().anyMatch(c -> c <= ' ' || c == 0x7F)) {
        throw new ConfigException(name, value, "must not contain spaces or control characters");
      }
    }

    @Override
    public String toString() {
      return "non-empty, without '{', '}', spaces or control characters";
    }
  }
}
