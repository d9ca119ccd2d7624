package dev.tally.connect.redis.query;

import dev.tally.connect.redis.KeyLayout;
import dev.tally.connect.redis.RedisEndpoint;
import dev.tally.connect.redis.RedisSinkConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigException;

/**
 * Turns the {@code query} command's options into a connection and times: the connection keys
 * are the sink's own ({@code redis.mode}, {@code redis.hosts}, {@code redis.ssl.*}, ...), read
 * from the sink's properties file if given and overridden by flags, so the analyst reaches the
 * same Redis the sink writes to, but always as the analyst's user.
 */
public final class QueryOptions {

  /** The read-only user from acl/users.acl. */
  public static final String DEFAULT_USER = "tally-analyst";

  private static final Pattern RELATIVE = Pattern.compile("(?:now)?-(\\d+)([smhd])");

  private QueryOptions() {
  }

  /**
   * The endpoint to query.
   *
   * @param sinkConfig the sink's properties file, or null; its redis.user and redis.password are
   *     ignored (they are the writer's)
   * @param overrides redis.* keys from the command line
   * @param user the user to log in as
   * @param password its password, or null
   * @throws QueryException naming the bad option
   */
  public static RedisEndpoint endpoint(Path sinkConfig, Map<String, String> overrides, String user,
      String password) {
    Map<String, String> settings = new HashMap<>();
    load(sinkConfig).forEach((key, value) -> {
      if (key.toString().startsWith("redis.")) {
        settings.put(key.toString(), value.toString().trim());
      }
    });
    settings.remove(RedisSinkConfig.USER);
    settings.remove(RedisSinkConfig.PASSWORD);
    settings.putAll(overrides);
    // a query waits for nobody
    settings.put(RedisSinkConfig.WAIT_REPLICAS, "0");
    try {
      return RedisSinkConfig.parse(settings).endpoint().withUser(user, password);
    } catch (ConfigException e) {
      throw new QueryException(e.getMessage(), e);
    }
  }

  /**
   * The redis.* keys that the command-line flags set; null flags set nothing.
   *
   * @param hosts redis.hosts
   * @param mode redis.mode
   * @param master redis.sentinel.master
   * @param tls redis.ssl.enabled when true
   * @param truststore redis.ssl.truststore.location
   * @param truststorePassword redis.ssl.truststore.password
   * @param keystore redis.ssl.keystore.location
   * @param keystorePassword redis.ssl.keystore.password
   */
  public static Map<String, String> overrides(String hosts, String mode, String master, boolean tls,
      String truststore, String truststorePassword, String keystore, String keystorePassword) {
    Map<String, String> overrides = new HashMap<>();
    putIfSet(overrides, RedisSinkConfig.HOSTS, hosts);
    putIfSet(overrides, RedisSinkConfig.MODE, mode);
    putIfSet(overrides, RedisSinkConfig.SENTINEL_MASTER, master);
    if (tls) {
      overrides.put(RedisSinkConfig.SSL_ENABLED, "true");
    }
    putIfSet(overrides, RedisSinkConfig.SSL_TRUSTSTORE_LOCATION, truststore);
    putIfSet(overrides, RedisSinkConfig.SSL_TRUSTSTORE_PASSWORD, truststorePassword);
    putIfSet(overrides, RedisSinkConfig.SSL_KEYSTORE_LOCATION, keystore);
    putIfSet(overrides, RedisSinkConfig.SSL_KEYSTORE_PASSWORD, keystorePassword);
    return overrides;
  }

  private static void putIfSet(Map<String, String> map, String key, String value) {
    if (value != null && !value.isEmpty()) {
      map.put(key, value);
    }
  }

  private static Properties load(Path file) {
    Properties properties = new Properties();
    if (file == null) {
      return properties;
    }
    try (InputStream in = Files.newInputStream(file)) {
      properties.load(in);
    } catch (IOException e) {
      throw new QueryException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return properties;
  }

  /** The key prefix from the sink's properties file, or the default. */
  public static String prefix(Path sinkConfig, String flag) {
    if (flag != null) {
      return flag;
    }
    String prefix = load(sinkConfig).getProperty(RedisSinkConfig.KEY_PREFIX);
    return prefix == null ? KeyLayout.DEFAULT_PREFIX : prefix.trim();
  }

  /**
   * A point in time: an ISO-8601 instant ({@code 2016-11-07T08:32:00Z}), a date-time in UTC
   * ({@code 2016-11-07T08:32}), epoch milliseconds, {@code now}, or {@code -N} followed by
   * s, m, h or d, that long before now ({@code -90m}).
   *
   * @param option the option's name, for the message
   * @throws QueryException naming the option and the accepted forms
   */
  public static long time(String option, String value, Clock clock) {
    String text = value.trim();
    if (text.equals("now")) {
      return clock.millis();
    }
    Matcher relative = RELATIVE.matcher(text);
    if (relative.matches()) {
      long amount = Long.parseLong(relative.group(1));
      long unit = switch (relative.group(2)) {
        case "s" -> 1_000L;
        case "m" -> 60_000L;
        case "h" -> 3_600_000L;
        default -> 86_400_000L;
      };
      return clock.millis() - amount * unit;
    }
    if (text.matches("\\d{1,19}")) {
      return Long.parseLong(text);
    }
    try {
      return Instant.parse(text).toEpochMilli();
    } catch (DateTimeParseException notAnInstant) {
      try {
        return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC).toEpochMilli();
      } catch (DateTimeParseException e) {
        throw new QueryException(option + ": cannot read '" + value + "' as a time; use an ISO-8601 "
            + "instant (2016-11-07T08:32:00Z), a UTC date-time (2016-11-07T08:32), epoch "
            + "milliseconds, 'now', or -N[s|m|h|d] (e.g. -90m)");
      }
    }
  }

  /** The start of the minute that contains {@code epochMs}. */
  public static long minuteOf(long epochMs) {
    return Math.floorDiv(epochMs, 60_000L) * 60_000L;
  }
}
